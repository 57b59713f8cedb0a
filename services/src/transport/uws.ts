/**
 * Loads the uWebSockets.js native addon for this Node runtime, and never a JavaScript fallback.
 *
 * The addon file is required by its path (not through the package's entry point, which in the
 * Node 20 build silently falls back to a slow `http` implementation without the pub/sub we rely
 * on), so a server either runs on native uWS or fails at start with the reason.
 */
import path from "node:path";
import type * as UWS from "uWebSockets.js";
import { addonFileName, chooseUwsBuilds, UwsNotNativeError, type UwsBuild, type UwsRuntime } from "./uws-builds";

export { UwsNotNativeError } from "./uws-builds";

export type Uws = typeof UWS;

/** What loadUws() loaded: which build, for which ABI, from which file. */
export interface LoadedUwsBuild {
  build: UwsBuild;
  abi: number;
  addonPath: string;
}

/** True when `App` is a function implemented by the native addon. */
export function isNativeUws(uws: Pick<Uws, "App">): boolean {
  return Function.prototype.toString.call(uws.App).includes("[native code]");
}

/** This process's Node ABI, platform and glibc. */
export function currentUwsRuntime(): UwsRuntime {
  const report = process.report.getReport() as { header?: { glibcVersionRuntime?: string } };
  return {
    nodeVersion: process.versions.node,
    abi: Number(process.versions.modules),
    platform: process.platform,
    arch: process.arch,
    glibc: report.header?.glibcVersionRuntime,
  };
}

/** Requires one build's addon for this runtime by its file path; throws what dlopen said. */
export function loadUwsBuild(build: UwsBuild, runtime: UwsRuntime = currentUwsRuntime()): { uws: Uws; addonPath: string } {
  const main = require.resolve(build.dependency);
  const addonPath = path.resolve(path.dirname(main), build.addonDir, addonFileName(runtime));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const uws = require(addonPath) as Uws;
  if (!isNativeUws(uws)) throw new UwsNotNativeError(`${addonPath} did not export a native App`);
  return { uws, addonPath };
}

let loaded: { uws: Uws; info: LoadedUwsBuild } | undefined;

export function loadUws(): Uws {
  return loadUwsWithInfo().uws;
}

/** The addon and which build it is: the Node 24 lane and the benchmark print this. */
export function loadUwsWithInfo(): { uws: Uws; info: LoadedUwsBuild } {
  if (loaded) return loaded;
  if (process.env.UWS_USE_FALLBACK) throw new UwsNotNativeError("UWS_USE_FALLBACK is set; Pomona runs only on the native addon, unset it");
  const runtime = currentUwsRuntime();
  const failures: string[] = [];
  for (const build of chooseUwsBuilds(runtime)) {
    try {
      const { uws, addonPath } = loadUwsBuild(build, runtime);
      loaded = { uws, info: { build, abi: runtime.abi, addonPath } };
      return loaded;
    } catch (error) {
      failures.push(`${build.source}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  throw new UwsNotNativeError(`Node ${runtime.nodeVersion} (ABI ${runtime.abi}) could load no build: ${failures.join("; ")}`);
}
