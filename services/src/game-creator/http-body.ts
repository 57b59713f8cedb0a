/** Reads a uWS request body up to a byte limit; over it, the caller answers 413 and nothing is parsed. */
import type { HttpResponse } from "uWebSockets.js";

export type BodyResult = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly reason: "too-large" | "aborted" };

export function readBody(res: HttpResponse, maxBytes: number, onAborted: (handler: () => void) => void): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    onAborted(() => {
      if (!done) resolve({ ok: false, reason: "aborted" });
      done = true;
    });
    res.onData((chunk, isLast) => {
      if (done) return;
      size += chunk.byteLength;
      if (size > maxBytes) {
        done = true;
        resolve({ ok: false, reason: "too-large" });
        return;
      }
      // uWS reuses the chunk's memory after this callback: copy it.
      chunks.push(Buffer.from(new Uint8Array(chunk).slice()));
      if (isLast) {
        done = true;
        resolve({ ok: true, bytes: Buffer.concat(chunks) });
      }
    });
  });
}
