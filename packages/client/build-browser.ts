/** The browser build of @pomona/client: one ES module that needs nothing from Node (scripts/build-demo.ts BROWSER_BUNDLE). */
import path from "node:path";
import { build } from "esbuild";
import { BROWSER_BUNDLE } from "../../scripts/build-demo";

void build({ ...BROWSER_BUNDLE, entryPoints: [path.resolve(__dirname, "../../services/src/client/index.ts")], outfile: path.join(__dirname, "dist/browser/pomona-client.mjs"), format: "esm" }).catch((error: unknown) => {
  console.error("@pomona/client browser build failed:", error instanceof Error ? error.message : error);
  process.exit(1);
});
