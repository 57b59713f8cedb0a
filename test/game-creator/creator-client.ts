/** Test helpers around a running game-creator: its API and viewer sockets (scripts/local-cluster/creator-client.ts), and the processes of a game. */
import fs from "node:fs";

export { creatorApi, Viewer, type ApiReply, type ViewerFrame } from "../../scripts/local-cluster/creator-client";

/** Pids of live processes whose environment has GAME_ID=<id> (game servers and workers of that game). */
export function pidsOfGame(id: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/stat`, "utf8").includes(") Z ")) continue;
      const env = fs.readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (env.includes(`GAME_ID=${id}`)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids.sort((a, b) => a - b);
}

/** Resident memory of these processes, MB (total and mean). */
export function rssMb(pids: readonly number[]): { total: number; each: number } {
  let kb = 0;
  for (const pid of pids) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
    } catch {
      // exited
    }
  }
  const total = Math.round(kb / 1024);
  return { total, each: pids.length === 0 ? 0 : Math.round(total / pids.length) };
}
