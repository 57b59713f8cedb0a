/**
 * What the stack puts in each pod follows the stack: nginx asks the DNS Service of the stack's
 * `clusterDomain`, and only the servers that read the route dictionary (connectors, game servers) get
 * POMONA_ROUTES. Every shipped stack sets routes; one evaluated with another cluster domain.
 */
import assert from "node:assert/strict";
import { evaluateStack, readStackConfig } from "../../infra/offline/evaluate";
import { NAMES } from "../../infra/names";
import { nodeArgsFor } from "../../services/src/cluster-model";
import { containers, envOf, evaluateAllStacks, find, stackFile, WORKLOADS, type Loose } from "./stacks";

describe("stack env and DNS follow the stack file", function () {
  this.timeout(120_000);

  it("nginx resolves connector pods through the DNS Service of the stack's clusterDomain", async () => {
    const config = { ...readStackConfig("dev"), "pomona:clusterDomain": "games.internal" };
    const { manifests } = await evaluateStack({ stack: "dev", config });
    const conf = Object.values((find(manifests, "ConfigMap", NAMES.proxyConfig) as Loose).data as Record<string, string>).join("\n");
    assert.match(conf, /resolver kube-dns\.kube-system\.svc\.games\.internal /);
    assert.match(conf, /connector-0\.connectors\.pomona-dev\.svc\.games\.internal:3010/);
    assert.doesNotMatch(conf, /cluster\.local/);
  });

  it("only connectors and game servers get POMONA_ROUTES, and it is the stack's route list", async () => {
    for (const { stack, manifests } of await evaluateAllStacks()) {
      const routes = (stackFile(stack).routes as string[]).join(",");
      for (const workload of manifests.filter((m) => WORKLOADS.includes(m.kind))) {
        const value = envOf(containers(workload)[0]).find((e) => e.name === "POMONA_ROUTES")?.value;
        const name = workload.metadata.name;
        const reader = name === NAMES.connectorStatefulSet || (name.startsWith("game-") && name !== NAMES.gameCreator);
        assert.equal(value, reader ? routes : undefined, `${stack}: ${workload.metadata.name}`);
      }
    }
  });

  it("connectors run with their own Node flags on the command line; every other server with the image's alone", async () => {
    for (const { stack, manifests } of await evaluateAllStacks()) {
      for (const workload of manifests.filter((m) => WORKLOADS.includes(m.kind))) {
        const container = containers(workload)[0] as Loose;
        const command = container.command as string[] | undefined;
        const connector = workload.metadata.name === NAMES.connectorStatefulSet;
        assert.equal(envOf(container).find((e) => e.name === "NODE_OPTIONS"), undefined, `${stack}: ${workload.metadata.name} keeps the image's NODE_OPTIONS`);
        if (command?.[0] !== "node") continue;
        assert.deepEqual(command.slice(1, -1), connector ? ["--optimize-for-size"] : [], `${stack}: ${workload.metadata.name}`);
        assert.match(command.at(-1)!, /\.js$/);
      }
    }
    assert.deepEqual(nodeArgsFor("connector"), ["--optimize-for-size"]);
    assert.deepEqual(nodeArgsFor("game"), []);
  });
});
