/**
 * Where Prometheus scrapes each tier, in every stack: gate and connectors on their private port 9100
 * (METRICS_PORT), never through a public Service; games and the game-creator on their HTTP port.
 * The ServiceMonitor, the pod annotations, the container ports, the servers' env and the
 * NetworkPolicies must all name the same port for every pod.
 */
import assert from "node:assert/strict";
import type { Evaluation, Manifest } from "../../infra/offline/evaluate";
import { selectorMatches } from "../../infra/policy/selectors";
import { byKind, containers, envOf, evaluateAllStacks, find, podLabels, spec, stackFile, WORKLOADS, type Loose } from "./stacks";

const PRIVATE_METRICS_PORT = 9100;

/** The tiers whose own port is public, so their metrics have a port of their own. */
const privateMetricsTiers = (manifests: Manifest[]) => [find(manifests, "Deployment", "gate"), find(manifests, "StatefulSet", "connector")];
const workloads = (manifests: Manifest[]) => manifests.filter((m) => WORKLOADS.includes(m.kind));
const scraped = (manifests: Manifest[]) => workloads(manifests).filter((w) => spec(w).template.metadata.annotations?.["prometheus.io/scrape"] === "true");
const behind = (manifests: Manifest[], service: Manifest) => workloads(manifests).filter((w) => selectorMatches({ matchLabels: spec(service).selector }, podLabels(w)));
const env = (workload: Manifest) => new Map(envOf(containers(workload)[0]).map((e) => [e.name, e.value]));
const announcedPort = (workload: Manifest) => Number(spec(workload).template.metadata.annotations["prometheus.io/port"]);

/** The port a server answers GET /metrics on, by the services' own rules: METRICS_PORT, else the game server's HTTP_PORT, else PORT. */
function servedMetricsPort(workload: Manifest): number {
  const values = env(workload);
  return Number(values.get("METRICS_PORT") ?? values.get("HTTP_PORT") ?? values.get("PORT"));
}

/** The container port a Service port's targetPort reaches on a workload's pods (undefined: not declared). */
function containerPort(workload: Manifest, targetPort: string | number): number | undefined {
  const ports: Loose[] = containers(workload).flatMap((c: Loose) => c.ports ?? []);
  return ports.find((p) => p.name === targetPort || p.containerPort === targetPort)?.containerPort;
}

const isPublic = (service: Manifest) => ["LoadBalancer", "NodePort"].includes(spec(service).type) || (spec(service).externalIPs ?? []).length > 0;

/** Whether a NetworkPolicy lets pods of `namespace` open `port`. */
function admits(policy: Manifest, port: number, namespace: string): boolean {
  return (spec(policy).ingress ?? []).some(
    (rule: Loose) =>
      (rule.ports === undefined || rule.ports.some((p: Loose) => p.port === port)) &&
      (rule.from === undefined || rule.from.some((peer: Loose) => peer.podSelector === undefined && peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === namespace)),
  );
}

const policiesOf = (manifests: Manifest[], workload: Manifest) => byKind(manifests, "NetworkPolicy").filter((p) => selectorMatches(spec(p).podSelector, podLabels(workload)));
const scrapeNamespaces = (stack: string): string[] => stackFile(stack).metrics?.scrapeNamespaces ?? ["monitoring"];

describe("metrics scraping under mocks", function () {
  this.timeout(60_000);
  let evaluations: Evaluation[];

  before(async () => {
    evaluations = await evaluateAllStacks();
  });

  it("gate and connectors serve /metrics on 9100 (METRICS_PORT), a container port named metrics that their pods announce", () => {
    for (const { stack, manifests } of evaluations) {
      for (const workload of privateMetricsTiers(manifests)) {
        const where = `${stack}: ${workload.metadata.name}`;
        assert.equal(env(workload).get("METRICS_PORT"), String(PRIVATE_METRICS_PORT), where);
        assert.notEqual(env(workload).get("PORT"), env(workload).get("METRICS_PORT"), where);
        assert.ok(containers(workload)[0].ports.some((p: Loose) => p.name === "metrics" && p.containerPort === PRIVATE_METRICS_PORT), where);
        assert.equal(announcedPort(workload), PRIVATE_METRICS_PORT, where);
      }
    }
  });

  it("every Pomona server (not Redis, not nginx) asks to be scraped on a port it declares, and its server answers /metrics there", () => {
    for (const { stack, manifests } of evaluations) {
      const file = stackFile(stack);
      const servers = ["gate", "connector", ...(file.games ?? []).map((g: Loose) => `game-${g.id}`), ...(file.gameCreator?.enabled ? ["game-creator"] : [])];
      assert.deepEqual(scraped(manifests).map((w) => w.metadata.name).sort(), servers.sort(), stack);
      for (const workload of scraped(manifests)) {
        const port = announcedPort(workload);
        assert.equal(containerPort(workload, port), port, `${stack}: ${workload.metadata.name} announces ${port}, which no container declares`);
        assert.equal(port, servedMetricsPort(workload), `${stack}: ${workload.metadata.name} serves /metrics on ${servedMetricsPort(workload)}, not ${port}`);
      }
    }
  });

  it("no public Service exposes 9100 or reaches a pod's metrics port, and none is selected for scraping", () => {
    for (const { stack, manifests } of evaluations) {
      const publicServices = byKind(manifests, "Service").filter(isPublic);
      assert.ok(publicServices.some((s) => s.metadata.name === "gate"), `${stack}: the gate's LoadBalancer is among the public Services`);
      for (const service of publicServices) {
        const where = `${stack}: public Service/${service.metadata.name}`;
        assert.equal(service.metadata.labels?.["pomona.dev/metrics"], undefined, `${where} is labelled for the ServiceMonitor`);
        for (const port of spec(service).ports) {
          assert.notEqual(port.port, PRIVATE_METRICS_PORT, where);
          for (const workload of behind(manifests, service)) {
            const metricsPort = env(workload).get("METRICS_PORT");
            if (metricsPort !== undefined) assert.notEqual(containerPort(workload, port.targetPort ?? port.port), Number(metricsPort), `${where} reaches ${workload.metadata.name}'s metrics port`);
          }
        }
      }
    }
  });

  it("the ServiceMonitor scrapes each labelled Service on exactly one port: where its pods serve /metrics", () => {
    const monitored = evaluations.filter((e) => stackFile(e.stack).metrics?.serviceMonitor);
    assert.ok(monitored.length >= 2, "some stacks have a ServiceMonitor");
    for (const { stack, manifests } of monitored) {
      const monitor = find(manifests, "ServiceMonitor", "pomona");
      const endpointPorts: string[] = spec(monitor).endpoints.map((e: Loose) => e.port);
      const labelled = byKind(manifests, "Service").filter((s) => selectorMatches(spec(monitor).selector, s.metadata.labels ?? {}));
      for (const service of labelled) {
        const where = `${stack}: Service/${service.metadata.name}`;
        const ports = spec(service).ports.filter((p: Loose) => endpointPorts.includes(p.name));
        assert.equal(ports.length, 1, `${where} exposes ${ports.map((p: Loose) => p.name).join(", ") || "none"} of the scraped ports ${endpointPorts.join(", ")}`);
        for (const workload of behind(manifests, service)) {
          assert.equal(containerPort(workload, ports[0].targetPort ?? ports[0].port), servedMetricsPort(workload), `${where} scrapes ${workload.metadata.name} off its metrics port`);
        }
      }
      for (const workload of scraped(manifests)) {
        assert.ok(labelled.some((s) => behind(manifests, s).includes(workload)), `${stack}: no scraped Service selects ${workload.metadata.name}`);
      }
    }
  });

  it("only the scrape namespaces reach the metrics ports, and scraping opens no player port to them", () => {
    for (const { stack, manifests } of evaluations) {
      const namespaces = scrapeNamespaces(stack);
      for (const workload of scraped(manifests)) {
        const policies = policiesOf(manifests, workload);
        for (const namespace of namespaces) {
          assert.ok(policies.some((p) => admits(p, announcedPort(workload), namespace)), `${stack}: ${namespace} cannot reach ${workload.metadata.name}:${announcedPort(workload)}`);
        }
      }
      for (const workload of privateMetricsTiers(manifests)) {
        const rules = policiesOf(manifests, workload).flatMap((p) => spec(p).ingress).filter((rule: Loose) => rule.ports?.some((p: Loose) => p.port === PRIVATE_METRICS_PORT));
        assert.ok(rules.length > 0, `${stack}: no rule for ${workload.metadata.name}'s metrics port`);
        for (const rule of rules) {
          const sources = (rule.from ?? [{ anywhere: true }]).map((peer: Loose) => peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] ?? JSON.stringify(peer));
          assert.deepEqual(sources.sort(), [...namespaces].sort(), `${stack}: who may reach ${workload.metadata.name}:${PRIVATE_METRICS_PORT}`);
        }
      }
      if (stackFile(stack).frontDoor.mode === "subdomain") {
        const connector = find(manifests, "StatefulSet", "connector");
        for (const namespace of namespaces) {
          assert.ok(!policiesOf(manifests, connector).some((p) => admits(p, 3010, namespace)), `${stack}: ${namespace} may still reach the connectors' client port`);
        }
      }
    }
  });
});
