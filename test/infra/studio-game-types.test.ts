/**
 * A studio's game shipped as its own image (built on @pomona/server) is declared once, under
 * `pomona:gameTypes`: the stack's static games of that type run the studio's image and main, and the
 * game-creator gets the same declaration (GAME_TYPES) and starts runtime games of it from that image,
 * while the services image's own types and every worker stay on the services image.
 */
import assert from "node:assert/strict";
import type { V1EnvVar } from "@kubernetes/client-node";
import { parseStackConfig } from "../../infra/config-schema";
import { evaluateStack, readStackConfig } from "../../infra/offline/evaluate";
import { parseCreatorConfig } from "../../services/src/game-creator/config";
import { createGameSchemaFor, playerSpec } from "../../services/src/game-creator/game-spec";
import { gameDeployment, workerPod } from "../../services/src/game-creator/kubernetes/manifests";
import { gameTypesWith, SERVICES_GAME_TYPES } from "../../services/src/game-types";
import { containers, envOf, find, type Loose } from "./stacks";

const STUDIO_IMAGE = `ghcr.io/studio/duel@sha256:${"d".repeat(64)}`;
const DUEL = { image: STUDIO_IMAGE, main: "dist/duel/main.js", defaultTickHz: 30, maxReplicas: 4 };

/** The dev stack file with the studio's type declared and one static game of it. */
function devWithDuel(): Record<string, unknown> {
  const dev = readStackConfig("dev") as Record<string, Loose>;
  return { ...dev, "pomona:gameTypes": { duel: DUEL }, "pomona:games": [...dev["pomona:games"], { id: "duel-1", type: "duel", replicas: 2 }] };
}

/** The dev stack's keys without the `pomona:` prefix, as `parseStackConfig` takes them. */
const plainKeys = (config: Record<string, unknown>) => Object.fromEntries(Object.entries(config).map(([key, value]) => [key.replace(/^pomona:/, ""), value]));

describe("studio game types (pomona:gameTypes)", function () {
  this.timeout(120_000);

  it("a static game of a studio type runs the studio's image and main at the type's tick rate; the arena stays on the services image", async () => {
    const { manifests } = await evaluateStack({ stack: "dev", config: devWithDuel() });
    const [duel] = containers(find(manifests, "Deployment", "game-duel-1"));
    assert.equal(duel.image, STUDIO_IMAGE);
    assert.deepEqual(duel.command, ["node", "dist/duel/main.js"]);
    assert.equal(envOf(duel).find((e) => e.name === "TICK_HZ")?.value, "30");
    const [arena] = containers(find(manifests, "Deployment", "game-arena-1"));
    assert.notEqual(arena.image, STUDIO_IMAGE);
    assert.match(arena.image, /pomona-services(:[\w.-]+)?@sha256:/);
    assert.deepEqual(arena.command, ["node", SERVICES_GAME_TYPES.arena!.main]);
    assert.equal(envOf(arena).find((e) => e.name === "TICK_HZ")?.value, String(SERVICES_GAME_TYPES.arena!.defaultTickHz));
  });

  it("the game-creator gets the same declaration as GAME_TYPES and starts runtime games of it from the studio's image; workers stay on the services image", async () => {
    const { manifests } = await evaluateStack({ stack: "dev", config: devWithDuel() });
    const env = new Map(envOf(containers(find(manifests, "Deployment", "game-creator"))[0]).map((e) => [e.name, e.value]));
    const config = parseCreatorConfig({ BACKEND: "kubernetes", REDIS_URL: "redis://x:6379", CREATOR_TOKEN: "t".repeat(32), POD_NAMESPACE: "pomona-dev", INGRESS_NAME: "games-runtime", GAME_IMAGE: env.get("GAME_IMAGE"), GAME_TYPES: env.get("GAME_TYPES") });
    const gameTypes = gameTypesWith(config.GAME_TYPES ?? {});
    assert.deepEqual(gameTypes.duel, { ...DUEL, workers: false });

    const request = createGameSchemaFor(gameTypes);
    const spec = { ...request.parse({ id: "d1", type: "duel", replicas: 4 }), createdAtMs: 0 };
    assert.match(JSON.stringify(request.safeParse({ id: "d2", type: "duel", replicas: 5 }).error?.issues), /a duel game runs at most 4 replica\(s\)/);
    assert.match(JSON.stringify(createGameSchemaFor(SERVICES_GAME_TYPES).safeParse({ id: "d3", type: "duel" }).error?.issues), /unknown game type \\"duel\\"; known types: arena, grid/);

    const context = { namespace: "pomona-dev", image: config.GAME_IMAGE!, gameTypes, gameEnv: [] as V1EnvVar[], workerLimits: { turnDeadlineMs: 50, sandboxMemoryMb: 32, podMemoryMi: 128, podCpuMilli: 250 } };
    const [container] = gameDeployment(context, spec).spec!.template.spec!.containers;
    assert.equal(container!.image, STUDIO_IMAGE);
    assert.deepEqual(container!.command, ["node", "dist/duel/main.js"]);
    assert.equal(container!.env!.find((e) => e.name === "TICK_HZ")?.value, "30");
    assert.equal(workerPod(context, "d1", "uid-1", playerSpec("ann", "function turn(){}", 0)).spec!.containers[0]!.image, config.GAME_IMAGE);
    assert.equal(gameDeployment(context, { ...spec, type: "arena" }).spec!.template.spec!.containers[0]!.image, config.GAME_IMAGE);
  });

  it("a stack without studio types gives the creator no GAME_TYPES", async () => {
    const { manifests } = await evaluateStack({ stack: "dev" });
    assert.equal(envOf(containers(find(manifests, "Deployment", "game-creator"))[0]).some((e) => e.name === "GAME_TYPES"), false);
  });

  it("a wrong declaration fails naming the key and the fix", () => {
    const messageOf = (gameTypes: unknown): string => {
      try {
        parseStackConfig("dev", { ...plainKeys(devWithDuel()), gameTypes });
      } catch (error) {
        return (error as Error).message;
      }
      return assert.fail("accepted");
    };
    assert.match(messageOf({ duel: { ...DUEL, image: "ghcr.io/studio/duel:1.0" } }), /pomona:gameTypes\.duel\.image: must be the studio's image pinned by digest.* — fix: set pomona:gameTypes in stacks\/Pulumi\.dev\.yaml as described in docs\/config\.md#gametypes/);
    assert.match(messageOf({ duel: { image: STUDIO_IMAGE } }), /pomona:gameTypes\.duel\.main: /);
    assert.match(messageOf({ duel: { ...DUEL, workers: true } }), /pomona:gameTypes\.duel\.workers: is not a known key/);
    assert.match(messageOf({ duel: DUEL, arena: DUEL }), /pomona:gameTypes\.arena: "arena" is a game type of the services image; give the studio's type another name/);
    assert.match(messageOf({ Duel: DUEL }), /pomona:gameTypes\.Duel: game type names are 1-32 characters/);
    assert.match(messageOf({}), /pomona:games\.1\.type: "duel" is not a known game type: .*declare under pomona:gameTypes\.duel/);
  });

  it("the creator refuses a GAME_TYPES it cannot read, naming the variable", () => {
    const base = { BACKEND: "local", REDIS_URL: "redis://x:6379", CREATOR_TOKEN: "t".repeat(32) };
    assert.throws(() => parseCreatorConfig({ ...base, GAME_TYPES: "{duel" }), /env\.GAME_TYPES: must be a JSON object of studio game types/);
    assert.throws(() => parseCreatorConfig({ ...base, GAME_TYPES: JSON.stringify({ duel: { ...DUEL, image: "latest" } }) }), /env\.GAME_TYPES\.duel\.image: must be the studio's image pinned by digest/);
  });
});
