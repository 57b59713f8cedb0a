/**
 * The subdomain proxy's ConfigMap holds exactly what the shared generator renders for the stack's
 * topology (the function `npm start` uses locally), and real nginx accepts it in the pod's layout.
 */
import assert from "node:assert/strict";
import { renderNginxConfig, type NginxTopologyInput } from "../../services/src/proxy";
import { readStackConfig, type Evaluation } from "../../infra/offline/evaluate";
import { NAMES, UIDS } from "../../infra/names";
import { nginxTestInPod, resolverNames } from "./nginx-pod";
import { containers, evaluateAllStacks, find, spec, type Loose } from "./stacks";

/** The topology each stack file describes, written out by hand from the stack file: the expectation. */
function expectedTopology(stack: string): NginxTopologyInput {
  const file = Object.fromEntries(Object.entries(readStackConfig(stack)).map(([k, v]) => [k.replace(/^pomona:/, ""), v])) as Loose;
  const tls = file.frontDoor.tls !== undefined;
  return {
    mode: "cluster",
    domain: file.frontDoor.domain,
    connectors: file.connector.replicas,
    listenPort: tls ? 8443 : 8080,
    heartbeatSec: file.heartbeatSec ?? 10,
    headlessService: "connectors",
    namespace: file.namespace,
    statefulSetName: "connector",
    clusterDomain: "cluster.local",
    connectorPort: 3010,
    ...(file.proxy?.maxConnectionsPerIp ? { maxConnectionsPerIp: file.proxy.maxConnectionsPerIp } : {}),
    ...(tls ? { tls: { certificatePath: "/etc/pomona/tls/tls.crt", keyPath: "/etc/pomona/tls/tls.key" } } : {}),
  };
}

describe("subdomain proxy ConfigMap", function () {
  this.timeout(60_000);
  let subdomainStacks: Evaluation[];

  before(async () => {
    subdomainStacks = (await evaluateAllStacks()).filter((e) => e.manifests.some((m) => m.kind === "ConfigMap" && m.metadata.name === NAMES.proxyConfig));
  });

  it("exists in every subdomain-mode stack (dev, staging, prod-eu)", () => {
    assert.deepEqual(subdomainStacks.map((e) => e.stack).sort(), ["dev", "prod-eu", "staging"]);
  });

  it("holds nginx.conf byte-identical to renderNginxConfig for the stack's topology", () => {
    for (const { stack, manifests } of subdomainStacks) {
      const conf = (find(manifests, "ConfigMap", NAMES.proxyConfig) as Loose).data["nginx.conf"];
      assert.equal(Buffer.compare(Buffer.from(conf), Buffer.from(renderNginxConfig(expectedTopology(stack)))), 0, stack);
    }
  });

  it("rolls the proxy when the config changes (its hash is on the pod template)", () => {
    const hashes = subdomainStacks.map(({ manifests }) => spec(find(manifests, "Deployment", NAMES.proxy)).template.metadata.annotations["pomona.dev/nginx-conf-sha256"]);
    assert.equal(new Set(hashes).size, subdomainStacks.length);
    for (const hash of hashes) assert.match(hash, /^[0-9a-f]{64}$/);
  });

  it("passes nginx -t as the pod runs it: its command line, mounts and uid, with cluster names resolvable", () => {
    for (const { stack, manifests } of subdomainStacks) {
      const conf = (find(manifests, "ConfigMap", NAMES.proxyConfig) as Loose).data["nginx.conf"] as string;
      const deployment = find(manifests, "Deployment", NAMES.proxy);
      const [nginx] = containers(deployment);
      const mounts = new Map<string, string>(nginx.volumeMounts.map((m: Loose) => [m.name, m.mountPath]));
      assert.deepEqual(resolverNames(conf), ["kube-dns.kube-system.svc.cluster.local"], stack);
      const args: string[] = nginx.args;
      const result = nginxTestInPod({
        nginxConf: conf,
        confPath: args[args.indexOf("-c") + 1]!,
        argv: [...nginx.command, ...args],
        uid: spec(deployment).template.spec.securityContext.runAsUser,
        ...(mounts.has("tls") ? { tlsDir: mounts.get("tls")! } : {}),
      });
      assert.equal(spec(deployment).template.spec.securityContext.runAsUser, UIDS.nginx);
      assert.equal(result.status, 0, `${stack}: ${result.output}`);
      assert.match(result.output, /syntax is ok/);
      assert.match(result.output, /test is successful/);
      assert.doesNotMatch(result.output, /\[warn\]|\[emerg\]/, stack);
    }
  });

  it("the same nginx -t fails when the cluster's DNS names are not resolvable (so the check above is real)", () => {
    const { manifests } = subdomainStacks[0]!;
    const conf = (find(manifests, "ConfigMap", NAMES.proxyConfig) as Loose).data["nginx.conf"] as string;
    const [nginx] = containers(find(manifests, "Deployment", NAMES.proxy));
    const result = nginxTestInPod({ nginxConf: conf, confPath: "/etc/pomona/nginx/nginx.conf", argv: [...nginx.command, ...nginx.args], uid: UIDS.nginx, resolvable: false });
    assert.notEqual(result.status, 0, result.output);
    assert.match(result.output, /host not found in resolver "kube-dns\.kube-system\.svc\.cluster\.local"/);
  });
});
