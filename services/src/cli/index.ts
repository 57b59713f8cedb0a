export { failUsage, helpText, HELP, integerFlag, parseCommandLine, readCommandLine, USAGE_EXIT_CODE } from "./command-line";
export type { BooleanFlag, CommandLine, CommandSpec, Flag, FlagValues, Flags, StringFlag } from "./command-line";
