import type { z } from "zod";

/**
 * uWS's idle timeout is a backstop behind Pomelo heartbeats; shared by every role that holds client
 * WebSockets (connector, gate), so they fail the same way on the same bad values.
 */
export function checkIdleTimeout(value: { idleTimeoutSec: number; heartbeatSec: number }, ctx: z.RefinementCtx): void {
  if (value.idleTimeoutSec !== 0 && value.idleTimeoutSec < 8) {
    ctx.addIssue({ code: "custom", path: ["idleTimeoutSec"], message: "must be 0 (off) or at least 8 (uWS resolution is 4 s)" });
  }
  if (value.idleTimeoutSec !== 0 && value.idleTimeoutSec <= 2 * value.heartbeatSec) {
    ctx.addIssue({ code: "custom", path: ["idleTimeoutSec"], message: "must exceed 2 × heartbeatSec, or healthy clients are cut before heartbeats can tell" });
  }
}
