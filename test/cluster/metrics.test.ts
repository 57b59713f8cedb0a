/**
 * Every role's `/metrics` (Prometheus text) on the local cluster, scraped before and under a load of
 * SDK players: the series of docs/observability.md exist and move.
 */
import assert from "node:assert/strict";
import type { PomonaClient } from "../../services/src/client";
import { startTestCluster, type TestCluster } from "../helpers/local-cluster";
import { sleep } from "../helpers/wait";

const PLAYERS = 40;

/** `name{labels} value` lines → value, summed over the series whose labels include `match`; a series that must exist unless `absentIsZero`. */
function metric(text: string, name: string, match: Record<string, string> = {}, absentIsZero = false): number {
  let total = 0;
  let found = false;
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labels = line.slice(name.length, line.lastIndexOf(" "));
    if (!Object.entries(match).every(([key, value]) => labels.includes(`${key}="${value}"`))) continue;
    found = true;
    total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  assert.ok(found || absentIsZero, `series ${name} ${JSON.stringify(match)} is exported`);
  return total;
}

describe("metrics on every role (local cluster under load)", function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  const players: PomonaClient[] = [];
  const scrape = async (port: number) => {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
    return response.text();
  };

  before(async () => {
    cluster = await startTestCluster({ mode: "direct", connectors: 2, games: 1 });
  });
  after(async () => {
    for (const player of players) player.close();
    await cluster?.dispose();
  });

  it("shows connections, requests and their latency, RPC calls, ticks, batches, fan-out, discovery and the event loop moving", async () => {
    const { gatePort, connectorPort, gameHttpPort } = cluster.plan.options;
    const ports = { gate: gatePort, connector0: connectorPort, connector1: connectorPort + 1, game: gameHttpPort };
    const before = { game: await scrape(ports.game), gate: await scrape(ports.gate) };

    for (let i = 0; i < PLAYERS; i++) {
      const player = cluster.client(`metrics-${i}`);
      players.push(player);
      await player.connect();
      await player.request("arena.room.join", {});
    }
    for (let round = 1; round <= 5; round++) await Promise.all(players.map((player) => player.request("arena.room.move", { seq: round, dir: "up" })));
    await sleep(1_500);

    const gate = await scrape(ports.gate);
    assert.equal(metric(gate, "pomona_gate_queries_total", { outcome: "ok" }) - metric(before.gate, "pomona_gate_queries_total", { outcome: "ok" }, true), PLAYERS);
    assert.ok(metric(gate, "pomona_nodejs_eventloop_lag_seconds", { role: "gate" }) >= 0);

    let clients = 0;
    let moves = 0;
    for (const port of [ports.connector0, ports.connector1]) {
      const text = await scrape(port);
      clients += metric(text, "pomona_connector_clients");
      moves += metric(text, "pomona_connector_request_duration_seconds_count", { route: "arena.room.move", outcome: "ok" });
      assert.ok(metric(text, "pomona_rpc_call_duration_seconds_count", { peer: "arena-1", outcome: "ok" }) > 0, "RPC latency by peer");
      assert.ok(metric(text, "pomona_connector_fanout_duration_seconds_count") > 0, "fan-out time per batch");
      assert.ok(metric(text, "pomona_connector_fanout_messages_total") > 0);
      assert.ok(metric(text, "pomona_connector_routing_bindings_total") > 0);
      assert.equal(metric(text, "pomona_discovery_members"), 5, "gate, 2 connectors, the arena and the chat server in the view");
      metric(text, "pomona_connector_backpressure_closes_total");
      metric(text, "pomona_discovery_redis_errors_total");
    }
    assert.equal(clients, PLAYERS, "open clients across the connectors");
    assert.equal(moves, PLAYERS * 5, "every move's latency observed, labelled by route");

    const game = await scrape(ports.game);
    assert.equal(metric(game, "pomona_game_sessions"), PLAYERS);
    assert.ok(metric(game, "pomona_game_ticks_total") > metric(before.game, "pomona_game_ticks_total"), "ticks keep counting");
    assert.ok(metric(game, "pomona_game_tick_duration_seconds_count") > 0);
    assert.ok(metric(game, "pomona_game_batch_entries_count") > 0);
    assert.ok(metric(game, "pomona_game_batches_sent_total") > 0);
    assert.equal(metric(game, "pomona_game_requests_total") - metric(before.game, "pomona_game_requests_total", {}, true), PLAYERS * 6);
    metric(game, "pomona_game_overruns_total");
  });
});
