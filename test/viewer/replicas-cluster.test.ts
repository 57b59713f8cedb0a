/**
 * The acceptance case through the local cluster (`npm start`'s code on free ports, real nginx): the
 * game-creator starts `duo`, an arena of two replicas, as `npm start` does; players come through the
 * gate, nginx and a connector until both replicas hold some; a viewer of /game-duo through nginx (which
 * reaches one replica) sees both replicas' rooms with exactly duo's players, and Redis logs no ACL denial.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import WebSocket from "ws";
import type { PomonaClient } from "../../services/src/client";
import { startTestCluster, type TestCluster } from "../helpers/local-cluster";
import { assertNoAclDenial } from "../helpers/acl-log";
import { freePortRange } from "../helpers/ports";
import { waitUntil } from "../helpers/wait";

/** Players joined until each replica holds one; the arena-1 of the cluster is an arena server too and takes some. */
const MAX_PLAYERS = 24;

describe("a two-replica game through the local cluster: its viewer sees both replicas' rooms", function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  const players: PomonaClient[] = [];
  let viewer: WebSocket | undefined;

  before(async function () {
    const token = randomBytes(24).toString("base64url");
    cluster = await startTestCluster({ mode: "subdomain", connectors: 1, games: 1, gameCreator: true, creatorToken: token, creatorPort: await freePortRange(1), startGames: [{ id: "duo", type: "arena", replicas: 2 }] });
  });

  after(async function () {
    viewer?.terminate();
    for (const player of players) player.close();
    await cluster?.dispose();
  });

  it("players on both replicas of duo, one viewer through nginx: every duo player in view under its replica, nobody else", async function () {
    const joinedOn = new Map<string, string[]>();
    for (let i = 1; i <= MAX_PLAYERS && [...joinedOn.keys()].filter((server) => server.startsWith("game-duo-")).length < 2; i++) {
      const player = cluster.client(`p${i}`);
      players.push(player);
      await player.connect();
      const joined = await player.request<{ code: number; server: string }>("arena.room.join", { name: `p${i}` });
      joinedOn.set(joined.server, [...(joinedOn.get(joined.server) ?? []), `p${i}`]);
    }
    const duo = Object.fromEntries([...joinedOn].filter(([server]) => server.startsWith("game-duo-")).sort(([a], [b]) => (a < b ? -1 : 1)));
    assert.equal(Object.keys(duo).length, 2, `players reached both replicas of duo: ${JSON.stringify(Object.fromEntries(joinedOn))}`);

    const messages: Array<{ server: string; replicas: Array<{ server: string }>; broadcasts: Array<{ server: string; route: string; body: { players: Array<{ name: string }> } }> }> = [];
    viewer = new WebSocket(`${cluster.plan.urls.proxy!.replace("http://", "ws://")}/game-duo`);
    viewer.on("message", (data) => messages.push(JSON.parse(data.toString())));
    const inView = () => {
      const seen: Record<string, string[]> = {};
      for (const broadcast of messages.at(-1)?.broadcasts ?? []) if (broadcast.route === "onState") (seen[broadcast.server] ??= []).push(...broadcast.body.players.map((p) => p.name));
      return Object.fromEntries(Object.keys(seen).sort().map((server) => [server, seen[server].sort()]));
    };
    const expected = Object.fromEntries(Object.entries(duo).map(([server, names]) => [server, [...names].sort()]));
    await waitUntil(() => JSON.stringify(inView()) === JSON.stringify(expected), 10_000, `the viewer sees ${JSON.stringify(expected)}`).catch((error: Error) => {
      throw new Error(`${error.message}; it saw ${JSON.stringify(inView())}`);
    });
    const latest = messages.at(-1)!;
    assert.deepEqual(latest.replicas.map((r) => r.server).sort(), Object.keys(duo), "both replicas listed");
    assert.ok(Object.keys(duo).includes(latest.server), "the viewer reached one of duo's replicas");
    console.log(`      ${players.length} players joined; on duo's replicas ${JSON.stringify(duo)}; the viewer on ${latest.server} sees both`);

    await assertNoAclDenial(cluster.plan.redis.url);
  });
});
