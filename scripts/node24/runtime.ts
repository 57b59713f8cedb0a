/**
 * `--runtime node20|node24` for benchmarks: the command prefix that runs a compiled entry point
 * (`<prefix> script.js args…`) on this machine's Node 20 (the development lane) or inside the Node 24
 * lane (the images' runtime: Node 24 on Debian trixie, the ABI 137 uWS addon). Under node24 the
 * lane's `exec` keeps the pid down to Node, so signals, CPU time and RSS read by pid are the server's.
 */
import path from "node:path";

export const RUNTIMES = ["node20", "node24"] as const;
export type Runtime = (typeof RUNTIMES)[number];

const LANE = path.resolve(__dirname, "lane.sh");

export function parseRuntime(value: string): Runtime {
  const runtime = RUNTIMES.find((name) => name === value);
  if (!runtime) throw new Error(`--runtime "${value}": use node20 (this machine's Node) or node24 (the Node 24 lane, \`npm run test:node24\`)`);
  return runtime;
}

export function nodeCommand(runtime: Runtime): { command: string; args: string[] } {
  return runtime === "node24"
    ? { command: LANE, args: ["exec", "--", "node"] }
    : { command: process.execPath, args: [] };
}
