/** The same SDK in a page: a bundler resolves `@pomona/client` to its browser build. */
import { PomonaClient } from "@pomona/client";

export const client = new PomonaClient({ gateUrl: location.origin });
