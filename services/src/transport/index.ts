export { loadUws, isNativeUws, UwsNotNativeError, type Uws } from "./uws";
export { serveProbes, writeJson } from "./http";
