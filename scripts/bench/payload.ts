/**
 * The broadcast body both the baseline and Pomona's bench game send: the tick number and the send
 * time first (the load generator reads them without parsing JSON), then a state of `players`
 * entries so the bytes match what a real game would ship.
 */
import { performance } from "node:perf_hooks";

export function benchStateBody(tick: number, players: number): string {
  let state = "";
  for (let i = 0; i < players; i++) state += `${i ? "," : ""}[${i},${(i * 7) % 500},${(i * 13) % 500}]`;
  return `{"k":${tick},"t":${(performance.timeOrigin + performance.now()).toFixed(3)},"p":[${state}]}`;
}
