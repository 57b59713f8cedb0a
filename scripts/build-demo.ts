/**
 * Builds the browser demo the gate serves: services/demo/demo.ts and the client SDK bundled by
 * esbuild into one script (with a browser Buffer for the protocol codec), next to the page and its
 * stylesheet.
 *
 *   npm run build:demo            → services/dist/site (what the gate image serves, SITE_DIR)
 *   tsx scripts/build-demo.ts DIR → DIR
 */
import { copyFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { build, type BuildOptions } from "esbuild";
import { failUsage, parseCommandLine } from "../services/src/cli";

const ROOT = path.resolve(__dirname, "..");
const SOURCE = path.join(ROOT, "services/demo");
export const DEFAULT_SITE_DIR = path.join(ROOT, "services/dist/site");
const BUFFER_SHIM = path.join(SOURCE, "buffer-shim.ts");

/** The client SDK in a browser: bundled, with the protocol codec's Buffer from the `buffer` package (the demo, and @pomona/client's browser build). */
export const BROWSER_BUNDLE: BuildOptions = {
  bundle: true,
  platform: "browser",
  target: ["es2020"],
  inject: [BUFFER_SHIM],
  alias: { "node:buffer": BUFFER_SHIM },
  logLevel: "warning",
};

export async function buildDemoSite(outDir: string = DEFAULT_SITE_DIR): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  await build({ ...BROWSER_BUNDLE, entryPoints: [path.join(SOURCE, "demo.ts")], outfile: path.join(outDir, "demo.js"), format: "iife", minify: true, sourcemap: true });
  for (const file of ["index.html", "demo.css"]) copyFileSync(path.join(SOURCE, file), path.join(outDir, file));
  return outDir;
}

if (require.main === module) {
  const cli = {
    command: "npm run build:demo --",
    summary: "The browser demo (services/demo and the client SDK, bundled by esbuild) into DIR, default services/dist/site (what the gate serves, SITE_DIR).",
    positionals: "[DIR]",
    flags: {},
    examples: ["npm run build:demo", "npm run build:demo -- /tmp/site"],
  } as const;
  const { positionals } = parseCommandLine(cli);
  if (positionals.length > 1) failUsage(cli, "name one output directory");
  buildDemoSite(positionals[0] === undefined ? undefined : path.resolve(positionals[0])).then(
    (dir) => console.log(`demo built in ${dir}`),
    (error: unknown) => {
      console.error("build-demo failed:", error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
