// The browser build: one ES module with the protocol codec's Buffer taken from the `buffer` package
// (the same shim the demo bundle uses), so a page or a bundler needs nothing from Node.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const bufferShim = path.resolve(here, "../../services/demo/buffer-shim.ts");

await build({
  entryPoints: [path.resolve(here, "../../services/src/client/index.ts")],
  outfile: path.join(here, "dist/browser/pomona-client.mjs"),
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["es2020"],
  inject: [bufferShim],
  alias: { "node:buffer": bufferShim },
  logLevel: "warning",
});
