/**
 * The command line of every Pomona CLI and server process: `--help` (or `-h`) prints the flags and an
 * example on stdout and exits 0; an unknown flag, a flag without its value or an unexpected argument
 * prints one line naming it on stderr and exits 2, never a stack trace. A flag may fall back to an
 * environment variable (the server mains: every flag has one); help names the variable, never its value.
 */
import { parseArgs } from "node:util";

interface FlagBase {
  /** One line: what the flag sets, with its unit. */
  readonly help: string;
}
export interface StringFlag extends FlagBase {
  readonly type: "string";
  /** The value's name in help (`--clients N`); default `VALUE`. */
  readonly value?: string;
  /** Read when the flag is absent. */
  readonly env?: string;
  readonly default?: string;
}
export interface BooleanFlag extends FlagBase {
  readonly type: "boolean";
}
export type Flag = StringFlag | BooleanFlag;
export type Flags = Readonly<Record<string, Flag>>;

export interface CommandSpec<F extends Flags> {
  /** How it is run, e.g. `npm run bots --`: the start of the usage line and of the error line's hint. */
  readonly command: string;
  /** What it does, a sentence or two. */
  readonly summary: string;
  readonly flags: F;
  /** Positional arguments as usage shows them (`<stack>`, `[module …]`); absent: none allowed. */
  readonly positionals?: string;
  /** Full command lines, run as is. */
  readonly examples: readonly string[];
  /** Lines about environment variables read besides the flags' own. */
  readonly environment?: readonly string[];
}

export type FlagValues<F extends Flags> = {
  readonly [K in keyof F]: F[K] extends BooleanFlag ? boolean : F[K] extends { default: string } ? string : string | undefined;
};

export interface CommandLine<F extends Flags> {
  readonly values: FlagValues<F>;
  readonly positionals: readonly string[];
}

/** What `readCommandLine` returns when `--help` or `-h` was given. */
export const HELP = Symbol("help");

/** Exit code of a command used wrongly (as getopt-style tools use it). */
export const USAGE_EXIT_CODE = 2;

/** One line on stderr naming what was wrong and where help is, then exit 2. */
export function failUsage(spec: Pick<CommandSpec<Flags>, "command">, problem: string): never {
  process.stderr.write(`${problem} (${spec.command} --help lists the flags)\n`);
  process.exit(USAGE_EXIT_CODE);
}

/** The text `--help` prints. */
export function helpText<F extends Flags>(spec: CommandSpec<F>): string {
  const rows: Array<[string, string]> = Object.entries(spec.flags).map(([name, flag]) => {
    if (flag.type === "boolean") return [`--${name}`, flag.help];
    const notes = [flag.default === undefined ? undefined : `default ${flag.default}`, flag.env === undefined ? undefined : `env ${flag.env}`].filter(Boolean);
    return [`--${name} ${flag.value ?? "VALUE"}`, notes.length === 0 ? flag.help : `${flag.help} (${notes.join("; ")})`];
  });
  rows.push(["-h, --help", "this help"]);
  const width = Math.max(...rows.map(([left]) => left.length));
  const lines = [
    `usage: ${spec.command}${spec.positionals === undefined ? "" : ` ${spec.positionals}`} [flags]`,
    "",
    spec.summary,
    "",
    "flags:",
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
  ];
  if (spec.environment !== undefined) lines.push("", "environment:", ...spec.environment.map((line) => `  ${line}`));
  lines.push("", spec.examples.length === 1 ? "example:" : "examples:", ...spec.examples.map((example) => `  ${example}`));
  return `${lines.join("\n")}\n`;
}

/**
 * Parses `argv` (default: this process's arguments) against `spec`. `--help` prints help and exits 0;
 * a usage problem prints one line and exits 2. A string flag takes its value from the command line
 * (the last one given), else from its environment variable, else its default.
 */
export function parseCommandLine<F extends Flags>(spec: CommandSpec<F>, argv: readonly string[] = process.argv.slice(2)): CommandLine<F> {
  const parsed = readCommandLine(spec, argv);
  if (typeof parsed === "string") failUsage(spec, parsed);
  if (parsed === HELP) {
    process.stdout.write(helpText(spec));
    process.exit(0);
  }
  return parsed;
}

/** The command line, `HELP` when help was asked for, or what is wrong with it as one line. */
export function readCommandLine<F extends Flags>(spec: CommandSpec<F>, argv: readonly string[]): CommandLine<F> | typeof HELP | string {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = { help: { type: "boolean", short: "h" } };
  for (const [name, flag] of Object.entries(spec.flags)) options[name] = { type: flag.type };
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const given = new Map<string, string | true>();
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") {
      if (spec.positionals === undefined) return `unexpected argument "${token.value}"`;
      positionals.push(token.value);
      continue;
    }
    if (token.kind !== "option") continue;
    const flag = token.name === "help" ? undefined : Object.prototype.hasOwnProperty.call(spec.flags, token.name) ? spec.flags[token.name] : undefined;
    if (flag === undefined && token.name !== "help") return `unknown flag ${token.rawName}`;
    if (flag === undefined || flag.type === "boolean") {
      if (token.value !== undefined) return `${token.rawName} takes no value`;
      given.set(token.name, true);
      continue;
    }
    // `--clients --json`: a value that is a flag means the value was left out (`--x=-1` and `--x -1` are values).
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith("--"))) return `${token.rawName} needs a value`;
    given.set(token.name, token.value);
  }
  if (given.has("help")) return HELP;
  const values: Record<string, string | boolean | undefined> = {};
  for (const [name, flag] of Object.entries(spec.flags)) {
    if (flag.type === "boolean") values[name] = given.get(name) === true;
    else values[name] = (given.get(name) as string | undefined) ?? (flag.env === undefined ? undefined : process.env[flag.env]) ?? flag.default;
  }
  return { values: values as FlagValues<F>, positionals };
}

/** A flag's value as an integer in [min, max], or exit 2 with one line naming the flag. */
export function integerFlag(spec: Pick<CommandSpec<Flags>, "command">, name: string, raw: string | undefined, min: number, max: number): number {
  const value = Number(raw);
  if (raw === undefined || raw.trim() === "" || !Number.isInteger(value) || value < min || value > max) {
    failUsage(spec, `--${name}: must be an integer from ${min} to ${max}, got "${raw ?? ""}"`);
  }
  return value;
}
