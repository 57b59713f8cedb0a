export { loadUws, isNativeUws, UwsNotNativeError, type Uws } from "./uws";
