/** Types of split-runtime-deps.mjs (plain JavaScript: it runs in the image build, where no TypeScript is installed). */
export function reachable(lock: unknown, workspace: string, without?: string[]): Set<string>;
export function onlyNeededBy(lock: unknown, workspace: string, only: string[]): string[];
