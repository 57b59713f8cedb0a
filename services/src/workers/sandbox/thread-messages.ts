"use strict";
/**
 * What the sandbox thread may say to its host, parsed as hostile input: code that left the vm holds
 * the thread's port and can post anything. One schema per kind, exact keys, every string capped;
 * anything else is refused with a reason (the host then stops the bot). Dependency-free, like
 * limits.ts: the worker process may read its own folder only.
 */
export type ThreadReply =
  | { readonly kind: "booted" }
  | { readonly kind: "loaded"; readonly violation: string | null; readonly error?: string; readonly timedOut?: boolean }
  | { readonly kind: "turn"; readonly id: number; readonly output?: string; readonly timedOut?: boolean; readonly error?: string; readonly heapMb: number };

/** What the harness returns for a turn (the `output` of a turn reply, JSON). */
export interface TurnOutput {
  readonly action?: unknown;
  readonly error?: string;
  readonly violation: string | null;
}

/** Violations and errors are cut to these lengths inside the context; longer ones were not made by the harness. */
export const MAX_VIOLATION_CHARS = 200;
export const MAX_ERROR_CHARS = 300;
/** The harness's envelope around an action: the keys, a violation and an error at their caps. */
const OUTPUT_ENVELOPE_CHARS = 1_024;

/** `json`: any value (its size is bounded by the message's own cap). */
type Field = "string" | "number" | "boolean" | "violation" | "json";
type Shape = Readonly<Record<string, { readonly type: Field; readonly optional?: boolean; readonly maxChars?: number }>>;

const SHAPES: Readonly<Record<ThreadReply["kind"], Shape>> = {
  booted: { kind: { type: "string" } },
  loaded: { kind: { type: "string" }, violation: { type: "violation" }, error: { type: "string", optional: true, maxChars: MAX_ERROR_CHARS }, timedOut: { type: "boolean", optional: true } },
  turn: {
    kind: { type: "string" },
    id: { type: "number" },
    output: { type: "string", optional: true },
    timedOut: { type: "boolean", optional: true },
    error: { type: "string", optional: true, maxChars: MAX_ERROR_CHARS },
    heapMb: { type: "number" },
  },
};

/** `value` as `shape` (exact keys, types, caps), or why not. */
function check(value: object, shape: Shape, caps: Readonly<Record<string, number>>): string | undefined {
  const keys = Object.keys(value);
  const unknown = keys.find((key) => !Object.hasOwn(shape, key));
  if (unknown !== undefined) return `unknown field ${JSON.stringify(unknown.slice(0, 40))}`;
  for (const [key, rule] of Object.entries(shape)) {
    const field: unknown = (value as Record<string, unknown>)[key];
    if (field === undefined) {
      if (rule.optional) continue;
      return `no ${key}`;
    }
    if (rule.type === "json") continue;
    const type = rule.type === "violation" ? (field === null ? "violation" : "string") : rule.type;
    if (field !== null && typeof field !== type) return `${key} is not a ${type}`;
    if (type === "number" && !Number.isFinite(field)) return `${key} is not a finite number`;
    const maxChars = caps[key] ?? rule.maxChars ?? (rule.type === "violation" ? MAX_VIOLATION_CHARS : undefined);
    if (typeof field === "string" && maxChars !== undefined && field.length > maxChars) return `${key} of ${field.length} characters (at most ${maxChars})`;
  }
  return undefined;
}

/** A message from the thread, or why it is refused. */
export function parseThreadReply(message: unknown, maxActionBytes: number): { reply: ThreadReply } | { refused: string } {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return { refused: `a ${message === null ? "null" : typeof message} instead of a message` };
  const kind = (message as { kind?: unknown }).kind;
  if (kind !== "booted" && kind !== "loaded" && kind !== "turn") return { refused: `a message of unknown kind ${JSON.stringify(String(kind).slice(0, 40))}` };
  const problem = check(message, SHAPES[kind], { output: maxActionBytes + OUTPUT_ENVELOPE_CHARS });
  return problem === undefined ? { reply: message as ThreadReply } : { refused: `a ${kind} message with ${problem}` };
}

/** A turn's `output` (the harness's JSON), or why it is refused. */
export function parseTurnOutput(output: string): { output: TurnOutput } | { refused: string } {
  let value: unknown;
  try {
    value = JSON.parse(output);
  } catch {
    return { refused: "a turn output that is not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { refused: "a turn output that is not an object" };
  const problem = check(value, { action: { type: "json", optional: true }, error: { type: "string", optional: true, maxChars: MAX_ERROR_CHARS }, violation: { type: "violation" } }, {});
  if (problem !== undefined) return { refused: `a turn output with ${problem}` };
  return { output: value as TurnOutput };
}
