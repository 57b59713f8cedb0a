export { loadUws, loadUwsWithInfo, loadUwsBuild, currentUwsRuntime, isNativeUws, UwsNotNativeError, type Uws, type LoadedUwsBuild } from "./uws";
export { chooseUwsBuilds, addonFileName, UWS_BUILDS, type UwsBuild, type UwsRuntime } from "./uws-builds";
export { serveProbes, writeJson } from "./http";
