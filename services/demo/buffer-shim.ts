/**
 * `node:buffer` in the browser bundle (esbuild `alias` and `inject`): the protocol codec's Buffer,
 * from the `buffer` package, and `isUtf8` on the browser's strict TextDecoder.
 */
export { Buffer } from "buffer";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export function isUtf8(input: ArrayBufferView | ArrayBuffer): boolean {
  try {
    strictUtf8.decode(input);
    return true;
  } catch {
    return false;
  }
}
