/**
 * A game reads its settings (GAME_SETTINGS, from the stack's `settings` or a game-creator request) as
 * `ctx.settings`: parsed and validated once at start, refused with the key when malformed.
 */
import { SERVICES_GAME_TYPES } from "../../services/src/game-types";
import assert from "node:assert/strict";
import { buildGameDeployment, MANAGED_BY } from "../../services/src/cluster-model";
import { ConfigError } from "../../services/src/config/validate";
import { defineGame, GameRuntime, parseGameServerConfig } from "../../services/src/game";

const settingsGame = defineGame({
  serverType: "t",
  handlers: { h: { settings: { handle: (ctx) => ctx.settings } } },
});

describe("game settings through the game API", () => {
  it("the GAME_SETTINGS the cluster model puts in a game's pod reach the handler as ctx.settings", async () => {
    const settings = { rounds: 5, mode: "ffa", hardcore: true };
    const deployment = buildGameDeployment({ namespace: "ns", image: "img", gameTypes: SERVICES_GAME_TYPES, env: [], managedBy: MANAGED_BY.stack }, { id: "duel", type: "arena", replicas: 1, settings });
    const envText = deployment.spec.template.spec.containers[0]!.env.find((e) => e.name === "GAME_SETTINGS")!.value!;
    const config = parseGameServerConfig({ id: "game-duel-0", settings: envText });
    const runtime = new GameRuntime(settingsGame, { serverId: config.id, tickHz: 20, settings: config.settings, connectors: { call: async () => undefined } });
    const response = await runtime.request({ session: { id: "s1", connectorId: "connector-0", uid: null, settings: {} }, route: "t.h.settings", body: Buffer.from("{}") });
    assert.deepEqual(JSON.parse(response.body.toString("utf8")), settings);
  });

  it("a game started without settings sees an empty object", async () => {
    assert.deepEqual(parseGameServerConfig({ id: "g" }).settings, {});
    const runtime = new GameRuntime(settingsGame, { serverId: "g", tickHz: 20, connectors: { call: async () => undefined } });
    const response = await runtime.request({ session: { id: "s1", connectorId: "connector-0", uid: null, settings: {} }, route: "t.h.settings", body: Buffer.from("{}") });
    assert.deepEqual(JSON.parse(response.body.toString("utf8")), {});
  });

  it("malformed GAME_SETTINGS stop the server at start, naming the key", () => {
    for (const bad of ["{not json", '{"1bad":1}', '{"nested":{"a":1}}', "[1,2]"]) {
      assert.throws(() => parseGameServerConfig({ id: "g", settings: bad }), (error: unknown) => error instanceof ConfigError && /settings/.test(error.message), bad);
    }
  });
});
