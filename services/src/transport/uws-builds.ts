/**
 * Which prebuilt uWebSockets.js addon a Node runtime can load: a pure choice by Node ABI, platform
 * and glibc, over the two builds the lockfile holds (both npm aliases in services/package.json).
 *
 * - `uWebSockets.js` = @btc-vision/uwebsockets.js 20.57: addons for Node 20, 22, 24, 25, linked
 *   against glibc 2.38. The images (Node 24 on Debian trixie, glibc 2.41) run this one.
 * - `uws-node20` = @trufflesuite/uws-js-unofficial 20.30 (unmaintained): Node ≤ 20 only, but it loads
 *   on older glibc, so development machines on Debian 12 (glibc 2.36) with Node 20 keep working.
 */

export interface UwsBuild {
  /** The dependency name in services/package.json (an npm alias). */
  readonly dependency: string;
  /** The package and version it is an alias of, as the lockfile resolves it. */
  readonly source: string;
  /** Node ABIs (`process.versions.modules`) it ships addons for. */
  readonly abis: readonly number[];
  /** The oldest glibc its Linux addons load on, or undefined when no newer one is needed. */
  readonly minGlibc?: string;
  /** Where the `uws_<platform>_<arch>_<abi>.node` files are, relative to the package's main file. */
  readonly addonDir: string;
}

/** In order of preference: the maintained build first. */
export const UWS_BUILDS: readonly UwsBuild[] = [
  { dependency: "uWebSockets.js", source: "@btc-vision/uwebsockets.js@20.57.0", abis: [115, 127, 137, 141], minGlibc: "2.38", addonDir: "." },
  { dependency: "uws-node20", source: "@trufflesuite/uws-js-unofficial@20.30.0-unofficial.0", abis: [93, 108, 115], addonDir: "../binaries" },
];

/** Node major version of each ABI the builds ship, for messages a person can act on. */
const NODE_MAJOR_BY_ABI: Readonly<Record<number, number>> = { 93: 16, 108: 18, 115: 20, 127: 22, 137: 24, 141: 25 };

export interface UwsRuntime {
  nodeVersion: string;
  /** `process.versions.modules` as a number. */
  abi: number;
  platform: string;
  arch: string;
  /** `process.report.getReport().header.glibcVersionRuntime`; undefined off glibc (musl, macOS, Windows). */
  glibc: string | undefined;
}

export class UwsNotNativeError extends Error {
  readonly code = "UWS_NOT_NATIVE";
  constructor(detail: string) {
    super(`uWebSockets.js native addon is not loaded: ${detail}`);
    this.name = "UwsNotNativeError";
  }
}

/** The addon file a build ships for this runtime. */
export function addonFileName(runtime: Pick<UwsRuntime, "platform" | "arch" | "abi">): string {
  return `uws_${runtime.platform}_${runtime.arch}_${runtime.abi}.node`;
}

function versionAtLeast(actual: string, wanted: string): boolean {
  const [a, b] = [actual, wanted].map((version) => version.split(".").map(Number));
  for (let i = 0; i < Math.max(a!.length, b!.length); i++) {
    const difference = (a![i] ?? 0) - (b![i] ?? 0);
    if (difference !== 0) return difference > 0;
  }
  return true;
}

function nodeName(runtime: Pick<UwsRuntime, "nodeVersion" | "abi">): string {
  return `Node ${runtime.nodeVersion} (ABI ${runtime.abi})`;
}

/**
 * The builds to try, best first: those with an addon for this ABI whose glibc need this system meets.
 * Throws UwsNotNativeError naming the ABI or the glibc when none can load; there is no JS fallback.
 */
export function chooseUwsBuilds(runtime: UwsRuntime, builds: readonly UwsBuild[] = UWS_BUILDS): UwsBuild[] {
  const forAbi = builds.filter((build) => build.abis.includes(runtime.abi));
  if (forAbi.length === 0) {
    const supported = [...new Set(builds.flatMap((build) => build.abis))].sort((x, y) => x - y);
    throw new UwsNotNativeError(
      `no uWebSockets.js build in the lockfile ships an addon for ${nodeName(runtime)}; ` +
        `supported: ${supported.map((abi) => `Node ${NODE_MAJOR_BY_ABI[abi] ?? "?"} (ABI ${abi})`).join(", ")}. Run Node 24 LTS, as the images do.`,
    );
  }
  const glibcMet = (build: UwsBuild) =>
    runtime.platform !== "linux" || build.minGlibc === undefined || (runtime.glibc !== undefined && versionAtLeast(runtime.glibc, build.minGlibc));
  const loadable = forAbi.filter(glibcMet);
  if (loadable.length === 0) {
    const needs = forAbi.map((build) => `${build.source} needs glibc ≥ ${build.minGlibc}`).join("; ");
    throw new UwsNotNativeError(
      `${nodeName(runtime)}: ${needs}, and this system has ${runtime.glibc ? `glibc ${runtime.glibc}` : "no glibc"}. ` +
        `Run it on Debian trixie or newer (the image; \`npm run test:node24\` here), or use Node 20 on this machine.`,
    );
  }
  return loadable;
}
