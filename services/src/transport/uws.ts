/**
 * Loads uWebSockets.js and refuses to run on its silent JavaScript fallback.
 *
 * The package we pin (an npm alias of a prebuilt unofficial build) falls back to a
 * Node.js `http` implementation when its native addon does not load for this Node ABI.
 * That fallback is far slower and lacks pub/sub semantics we rely on, so a server must
 * fail at start-up instead of limping along.
 */
import type * as UWS from "uWebSockets.js";

export type Uws = typeof UWS;

export class UwsNotNativeError extends Error {
  readonly code = "UWS_NOT_NATIVE";
  constructor(detail: string) {
    super(
      `uWebSockets.js native addon is not loaded (${detail}). ` +
        `Run on Node 20 (ABI ${process.versions.modules}) with the pinned ` +
        `"uWebSockets.js": "npm:@trufflesuite/uws-js-unofficial@20.30.0-unofficial.0" and unset UWS_USE_FALLBACK.`,
    );
    this.name = "UwsNotNativeError";
  }
}

/** True when `App` is a function implemented by the native addon. */
export function isNativeUws(uws: Pick<Uws, "App">): boolean {
  return Function.prototype.toString.call(uws.App).includes("[native code]");
}

let loaded: Uws | undefined;

export function loadUws(): Uws {
  if (loaded) return loaded;
  if (process.env.UWS_USE_FALLBACK) throw new UwsNotNativeError("UWS_USE_FALLBACK is set");
  // Silence the package's own console warning path: we report the failure ourselves.
  const originalWarn = console.warn;
  let warning = "";
  console.warn = (...args: unknown[]) => {
    warning += args.map(String).join(" ");
  };
  let uws: Uws;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    uws = require("uWebSockets.js") as Uws;
  } finally {
    console.warn = originalWarn;
  }
  if (!isNativeUws(uws)) throw new UwsNotNativeError(warning.split("\n")[0] || "JavaScript fallback in use");
  loaded = uws;
  return uws;
}
