/**
 * The sandbox's limits, validated without dependencies (worker processes may read only their own
 * folder, so this module imports nothing outside it). Units in the names.
 */
export interface SandboxLimits {
  /** Wall-clock budget of one turn inside the sandbox (V8 interrupts the bot's code at it). */
  readonly turnDeadlineMs: number;
  /** Budget of loading the bot's code (its top-level statements). */
  readonly loadDeadlineMs: number;
  /** Old-generation heap of the sandbox thread; over it the thread is terminated. */
  readonly memoryMb: number;
  /** Deadline misses in a row after which the bot is stopped. */
  readonly maxConsecutiveDeadlineMisses: number;
  /** Extra time the host waits for the thread past the deadline before terminating it. */
  readonly watchdogGraceMs: number;
  /** Bytes of a turn's view and of an action (JSON). */
  readonly maxViewBytes: number;
  readonly maxActionBytes: number;
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = {
  turnDeadlineMs: 50,
  loadDeadlineMs: 1_000,
  memoryMb: 32,
  maxConsecutiveDeadlineMisses: 3,
  // Long enough for a garbage collection near the heap limit to end in the thread's own out-of-memory (measured: a 16 MB allocation's GC took over 300 ms at load 30 on 2 cores).
  watchdogGraceMs: 1_000,
  maxViewBytes: 64 * 1024,
  maxActionBytes: 4 * 1024,
};

const RANGES: { readonly [K in keyof SandboxLimits]: readonly [number, number] } = {
  turnDeadlineMs: [1, 10_000],
  loadDeadlineMs: [10, 60_000],
  memoryMb: [8, 4_096],
  maxConsecutiveDeadlineMisses: [1, 1_000],
  watchdogGraceMs: [10, 10_000],
  maxViewBytes: [1_024, 16 * 1024 * 1024],
  maxActionBytes: [16, 1024 * 1024],
};

/** Defaults overlaid with `input`; throws naming every key out of range. */
export function sandboxLimits(input: Partial<Record<keyof SandboxLimits, number | undefined>> = {}): SandboxLimits {
  const limits: Record<string, number> = { ...DEFAULT_SANDBOX_LIMITS };
  const problems: string[] = [];
  for (const [key, [min, max]] of Object.entries(RANGES) as Array<[keyof SandboxLimits, readonly [number, number]]>) {
    const value = input[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < min || value > max) problems.push(`${key}: must be an integer from ${min} to ${max}, got ${value}`);
    else limits[key] = value;
  }
  if (problems.length > 0) throw new Error(`invalid sandbox limits:\n  - ${problems.join("\n  - ")}`);
  return limits as unknown as SandboxLimits;
}
