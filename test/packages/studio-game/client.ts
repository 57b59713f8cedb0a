/**
 * A player written against the packed `@pomona/client` in Node: gate → connector → `tiny.room.join`,
 * then waits for the per-player push and a tick broadcast, and prints one JSON line with what it got.
 *
 *   node dist/client.js <gate URL>
 */
import { PomonaClient, PomonaError, type WebSocketLike } from "@pomona/client";
import WebSocket from "ws";

async function main(gateUrl: string): Promise<void> {
  const client = new PomonaClient({ gateUrl, uid: "studio-player", createWebSocket: (url) => new WebSocket(url) as unknown as WebSocketLike, connectTimeoutMs: 5_000, reconnect: false });
  const welcome = new Promise<unknown>((resolve) => client.on("onWelcome", resolve));
  const tick = new Promise<unknown>((resolve) => client.on("onTick", resolve));
  await client.connect();
  const joined = await client.request("tiny.room.join", {});
  const unknownRoute = await client.request("tiny.room.nothing", {}).then(
    () => "answered",
    (error: unknown) => (error instanceof PomonaError ? error.code : "not a PomonaError"),
  );
  console.log(JSON.stringify({ joined, welcome: await welcome, tick: await tick, unknownRoute, uid: client.uid }));
  client.close();
}

// @ts-expect-error gateUrl is required: the package's declarations carry real types.
export const noGate = (): PomonaClient => new PomonaClient({});

main(process.argv[2]!).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
