import assert from "node:assert/strict";
import { ConfigError } from "../../services/src/config/validate";
import { renderNginxConfig, type NginxTopologyInput } from "../../services/src/proxy";
import { block, lines, parseNginxConf, type Directive } from "./nginx-directives";

const cluster = (overrides: Partial<Extract<NginxTopologyInput, { mode: "cluster" }>> = {}): NginxTopologyInput => ({
  mode: "cluster",
  domain: "play.example.com",
  connectors: 3,
  listenPort: 8080,
  headlessService: "pomona-connectors",
  namespace: "games",
  connectorPort: 3010,
  ...overrides,
});

const local = (overrides: Partial<Extract<NginxTopologyInput, { mode: "local" }>> = {}): NginxTopologyInput => ({
  mode: "local",
  domain: "localhost",
  connectors: 2,
  listenPort: 8080,
  connectorPorts: [3010, 3011],
  ...overrides,
});

const tls = { certificatePath: "/etc/pomona/tls/tls.crt", keyPath: "/etc/pomona/tls/tls.key" };
/** The reference cluster stack: TLS on, the viewer routes file included, every other key at its default. */
const reference = (): NginxTopologyInput => cluster({ connectors: 2, listenPort: 8443, tls, gameRoutesInclude: "games.conf" });

const http = (tree: readonly Directive[]) => block(tree, "http");
const server = (tree: readonly Directive[]) => block(http(tree), "server");
const hostMap = (tree: readonly Directive[]) => block(http(tree), "map", "$host", "$pomona_connector");

/** The Host map's entries as `key target` lines. */
function hostMapEntries(conf: string): string[] {
  return lines(hostMap(parseNginxConf(conf)));
}

/** Every directive called `name`, at any depth, as `name arg…` lines. */
function directive(conf: string, name: string): string[] {
  const found: Directive[] = [];
  const visit = (directives: readonly Directive[]): void => {
    for (const entry of directives) {
      if (entry.name === name) found.push(entry);
      if (entry.block) visit(entry.block);
    }
  };
  visit(parseNginxConf(conf));
  return lines(found);
}

function seconds(line: string): number {
  const match = /\s(\d+)s$/.exec(line);
  assert.ok(match, `"${line}" ends in a seconds value`);
  return Number(match[1]);
}

/** The one numeric argument of the one directive `name`. */
function numberOf(conf: string, name: string): number {
  const found = directive(conf, name);
  assert.equal(found.length, 1, `one ${name}; got ${JSON.stringify(found)}`);
  return Number(found[0]!.slice(name.length + 1));
}

/** A valid DNS name of exactly `length` characters (labels of at most 63). */
function domainOfLength(length: number): string {
  const labels: string[] = [];
  let left = length;
  while (left > 0) {
    const label = Math.min(63, left === 64 ? 62 : left);
    labels.push("d".repeat(label));
    left -= label + 1;
  }
  return labels.join(".");
}

function rejects(input: unknown, key: string, hint: RegExp): void {
  assert.throws(
    () => renderNginxConfig(input as NginxTopologyInput),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `a ConfigError, got ${String(error)}`);
      const issue = error.issues.find((text) => text.startsWith(`nginx.${key}:`));
      assert.ok(issue, `an issue names nginx.${key}; got ${JSON.stringify(error.issues)}`);
      assert.match(issue, hint);
      return true;
    },
  );
}

describe("nginx config generator", () => {
  describe("the directive tree of the reference cluster stack (TLS, viewer routes included)", () => {
    // Rendered inside each test, never while mocha loads the file: Stryker then knows which test reached each mutant.
    const referenceTree = () => parseNginxConf(renderNginxConfig(reference()));

    it("main context: in the foreground under its supervisor, a master for graceful reloads, two descriptors per connection", () => {
      const tree = referenceTree();
      assert.deepEqual(lines(tree), [
        "daemon off",
        "master_process on",
        "worker_processes auto",
        // Two descriptors per proxied WebSocket (player side, connector side) for 4096 connections, plus room for logs and listeners.
        "worker_rlimit_nofile 8256",
        "pid nginx.pid",
        "error_log stderr warn",
        "events {…}",
        "http {…}",
      ]);
      assert.deepEqual(lines(block(tree, "events")), ["worker_connections 4096"]);
    });

    it("http context: no version banner, a token-free access log, temp files under the prefix, slowloris and per-address limits, per-request DNS, the two maps and one server", () => {
      const tree = referenceTree();
      assert.deepEqual(lines(http(tree)), [
        "server_tokens off",
        'log_format pomona "$remote_addr [$time_local] \\"$request_method $uri $server_protocol\\" $status $body_bytes_sent $request_time \\"$host\\""',
        "access_log off",
        "client_body_temp_path ./client_body_temp",
        "proxy_temp_path ./proxy_temp",
        "fastcgi_temp_path ./fastcgi_temp",
        "uwsgi_temp_path ./uwsgi_temp",
        "scgi_temp_path ./scgi_temp",
        "client_header_timeout 10s",
        "client_body_timeout 10s",
        "keepalive_timeout 15s",
        // 3 × the 10 s heartbeat: a slow but live reader is not cut.
        "send_timeout 30s",
        "large_client_header_buffers 4 8k",
        "client_max_body_size 64k",
        "reset_timedout_connection on",
        "limit_conn_zone $binary_remote_addr zone=pomona_per_ip:10m",
        "limit_conn_status 429",
        "resolver kube-dns.kube-system.svc.cluster.local valid=10s ipv6=off",
        "resolver_timeout 5s",
        // Before the first map (nginx sizes every map hash with them); the values are the next test's subject.
        `map_hash_bucket_size ${numberOf(renderNginxConfig(reference()), "map_hash_bucket_size")}`,
        "map_hash_max_size 2048",
        "map $http_upgrade $connection_upgrade {…}",
        "map $host $pomona_connector {…}",
        "server {…}",
      ]);
      assert.deepEqual(lines(block(http(tree), "map", "$http_upgrade", "$connection_upgrade")), ["default upgrade", '"" close']);
      assert.deepEqual(lines(hostMap(tree)), [
        'default ""',
        "connector-0.play.example.com connector-0.pomona-connectors.games.svc.cluster.local:3010",
        "connector-1.play.example.com connector-1.pomona-connectors.games.svc.cluster.local:3010",
      ]);
    });

    it("server: TLS 1.2 and 1.3 only without session tickets, the viewer routes file, then health, hidden metrics and the proxied rest", () => {
      const tree = referenceTree();
      assert.deepEqual(lines(server(tree)), [
        "listen 8443 ssl default_server",
        "server_name _",
        "limit_conn pomona_per_ip 512",
        "ssl_certificate /etc/pomona/tls/tls.crt",
        "ssl_certificate_key /etc/pomona/tls/tls.key",
        "ssl_protocols TLSv1.2 TLSv1.3",
        "ssl_prefer_server_ciphers off",
        "ssl_session_cache shared:pomona_tls:10m",
        "ssl_session_timeout 1d",
        // Tickets would let a stolen ticket key decrypt past sessions (no forward secrecy across restarts).
        "ssl_session_tickets off",
        "include games.conf",
        "location = /healthz {…}",
        "location = /metrics {…}",
        "location / {…}",
      ]);
      assert.deepEqual(lines(block(server(tree), "location", "=", "/healthz")), ["access_log off", "default_type text/plain", 'return 200 "ok\\n"']);
      assert.deepEqual(lines(block(server(tree), "location", "=", "/metrics")), ["return 404"]);
    });

    it("location /: 404 for an unknown Host before anything is proxied, then WebSocket upgrade over HTTP/1.1 to the mapped connector, unbuffered, timeouts above 2 × heartbeat", () => {
      const root = block(server(referenceTree()), "location", "/");
      assert.deepEqual(lines(root), [
        'if ($pomona_connector = "" ) {…}',
        "proxy_pass http://$pomona_connector",
        "proxy_http_version 1.1",
        "proxy_set_header Upgrade $http_upgrade",
        "proxy_set_header Connection $connection_upgrade",
        "proxy_set_header Host $host",
        "proxy_set_header X-Real-IP $remote_addr",
        "proxy_set_header X-Forwarded-For $remote_addr",
        "proxy_set_header X-Forwarded-Proto $scheme",
        "proxy_buffering off",
        "proxy_connect_timeout 5s",
        "proxy_read_timeout 30s",
        "proxy_send_timeout 30s",
      ]);
      assert.deepEqual(lines(block(root, "if", "($pomona_connector", "=", "", ")")), ["return 404"]);
    });
  });

  describe("the local stack's differences from the cluster's", () => {
    it("binds loopback, asks no DNS server, includes no viewer routes and has no TLS", () => {
      const names = (directives: readonly Directive[]) => directives.map((entry) => entry.name);
      const localTree = parseNginxConf(renderNginxConfig(local({ listenPort: 18080 })));
      const clusterTree = parseNginxConf(renderNginxConfig(cluster({ listenPort: 18080 })));
      assert.deepEqual(lines(server(localTree))[0], "listen 127.0.0.1:18080 default_server");
      assert.deepEqual(lines(server(clusterTree))[0], "listen 18080 default_server");
      assert.deepEqual(
        names(http(clusterTree)).filter((name) => !names(http(localTree)).includes(name)),
        ["resolver", "resolver_timeout"],
      );
      assert.deepEqual(names(server(localTree)), ["listen", "server_name", "limit_conn", "location", "location", "location"]);
      assert.deepEqual(names(server(localTree)), names(server(clusterTree)));
    });
  });

  describe("the Host map", () => {
    it("has exactly one explicit entry per connector replica, pointing at its pod DNS name in cluster mode", () => {
      const entries = hostMapEntries(renderNginxConfig(cluster({ connectors: 3 })));
      assert.deepEqual(entries, [
        'default ""',
        "connector-0.play.example.com connector-0.pomona-connectors.games.svc.cluster.local:3010",
        "connector-1.play.example.com connector-1.pomona-connectors.games.svc.cluster.local:3010",
        "connector-2.play.example.com connector-2.pomona-connectors.games.svc.cluster.local:3010",
      ]);
    });

    it("points connector i at 127.0.0.1:<connectorPorts[i]> in local mode", () => {
      const entries = hostMapEntries(renderNginxConfig(local({ connectorPorts: [4100, 4200] })));
      assert.deepEqual(entries, ['default ""', "connector-0.localhost 127.0.0.1:4100", "connector-1.localhost 127.0.0.1:4200"]);
    });

    it("scales to 1000 replicas with 1000 distinct hosts and no regex, wildcard or hostnames entry", () => {
      const conf = renderNginxConfig(cluster({ connectors: 1000 }));
      const entries = hostMap(parseNginxConf(conf)).slice(1);
      assert.equal(entries.length, 1000);
      assert.equal(new Set(entries.map((entry) => entry.name)).size, 1000);
      entries.forEach((entry, i) => {
        assert.deepEqual([entry.name, ...entry.args], [`connector-${i}.play.example.com`, `connector-${i}.pomona-connectors.games.svc.cluster.local:3010`]);
      });
      assert.ok(!hostMapEntries(conf).some((entry) => entry.startsWith("~") || entry.includes("*") || entry === "hostnames"));
      assert.deepEqual(directive(conf, "server_name"), ["server_name _"]);
    });

    it("uses the StatefulSet name and cluster domain given for pod names", () => {
      const entries = hostMapEntries(renderNginxConfig(cluster({ connectors: 1, statefulSetName: "edge", clusterDomain: "k8s.internal" })));
      assert.equal(entries[1], "connector-0.play.example.com edge-0.pomona-connectors.games.svc.k8s.internal:3010");
    });

    it("sizes nginx's map hash for the longest Host: four of nginx's entries per bucket, a power of two, no larger than needed", () => {
      // nginx stores a map key as a pointer plus the key and its 2-byte length, aligned to the pointer size
      // (NGX_HASH_ELT_SIZE in ngx_hash.h), and every bucket ends with a null pointer; buckets are whole
      // 64-byte cache lines. 11 replicas make connector-10 two characters longer than connector-0.
      for (let length = 1; length <= 230; length++) {
        const conf = renderNginxConfig(cluster({ domain: domainOfLength(length), connectors: 11 }));
        const longestKey = Math.max(...hostMap(parseNginxConf(conf)).slice(1).map((entry) => entry.name.length));
        assert.equal(longestKey, "connector-10.".length + length);
        const entry = 8 + Math.ceil((longestKey + 2) / 8) * 8;
        const needed = 4 * entry + 8;
        const bucket = numberOf(conf, "map_hash_bucket_size");
        assert.ok(bucket >= needed, `domain of ${length}: a ${bucket}-byte bucket holds four ${entry}-byte entries (${needed} bytes)`);
        assert.ok(bucket >= 64 && (bucket & (bucket - 1)) === 0, `domain of ${length}: ${bucket} is a power of two of at least one cache line`);
        assert.ok(bucket === 64 || bucket < 2 * needed, `domain of ${length}: ${bucket} is the smallest such size for ${needed} bytes`);
      }
    });

    it("lets nginx search hash tables up to 8 buckets per replica, and never below its default of 2048", () => {
      for (const connectors of [1, 256, 300, 1000]) {
        const size = numberOf(renderNginxConfig(cluster({ connectors })), "map_hash_max_size");
        assert.ok(size >= 2048 && size >= 8 * connectors, `${connectors} replicas: map_hash_max_size ${size}`);
      }
    });
  });

  describe("WebSocket proxying", () => {
    it("keeps read and send timeouts strictly above 2 × heartbeat, 3 × by default", () => {
      for (const heartbeatSec of [1, 10, 25, 300]) {
        const conf = renderNginxConfig(local({ heartbeatSec }));
        for (const name of ["proxy_read_timeout", "proxy_send_timeout", "send_timeout"]) {
          const [line] = directive(conf, name);
          assert.ok(line, `${name} is set`);
          assert.equal(seconds(line), 3 * heartbeatSec, `${name} for heartbeat ${heartbeatSec}`);
          assert.ok(seconds(line) > 2 * heartbeatSec);
        }
      }
      const chosen = renderNginxConfig(local({ heartbeatSec: 10, proxyTimeoutSec: 21 }));
      for (const name of ["proxy_read_timeout", "proxy_send_timeout", "send_timeout"]) assert.deepEqual(directive(chosen, name), [`${name} 21s`]);
    });

    it("takes the connect timeout from the topology", () => {
      assert.deepEqual(directive(renderNginxConfig(local({ proxyConnectTimeoutSec: 2 })), "proxy_connect_timeout"), ["proxy_connect_timeout 2s"]);
    });
  });

  describe("modes", () => {
    it("takes resolver IPs, ports, cache time and timeout from the topology", () => {
      const conf = renderNginxConfig(cluster({ resolvers: ["10.96.0.10", "[fd00::a]:5353"], resolverValidSec: 3, resolverTimeoutSec: 2, resolverIpv6: true }));
      assert.deepEqual(directive(conf, "resolver"), ["resolver 10.96.0.10 [fd00::a]:5353 valid=3s ipv6=on"]);
      assert.deepEqual(directive(conf, "resolver_timeout"), ["resolver_timeout 2s"]);
    });

    it("binds the listen address given, with or without TLS", () => {
      assert.deepEqual(directive(renderNginxConfig(cluster({ listenAddress: "10.0.0.5", listenPort: 443, tls })), "listen"), ["listen 10.0.0.5:443 ssl default_server"]);
      assert.deepEqual(directive(renderNginxConfig(local({ listenAddress: "[::1]" })), "listen"), ["listen [::1]:8080 default_server"]);
    });

    it("sizes workers from the topology: processes, connections, and descriptors for two per connection", () => {
      const conf = renderNginxConfig(local({ workerProcesses: 2, workerConnections: 1000 }));
      assert.deepEqual(directive(conf, "worker_processes"), ["worker_processes 2"]);
      assert.deepEqual(directive(conf, "worker_connections"), ["worker_connections 1000"]);
      assert.ok(numberOf(conf, "worker_rlimit_nofile") >= 2 * 1000, "two descriptors per connection fit the worker's limit");
      assert.equal(numberOf(conf, "worker_rlimit_nofile"), 2064);
    });

    it("puts pid, logs and every temp path where the topology says, one temp directory each", () => {
      const moved = renderNginxConfig(local({ paths: { pid: "/run/p/nginx.pid", tempDir: "/tmp/p/", errorLog: "/var/log/p.log", errorLogLevel: "info", accessLog: "/var/log/a.log" } }));
      assert.deepEqual(directive(moved, "pid"), ["pid /run/p/nginx.pid"]);
      assert.deepEqual(
        lines(http(parseNginxConf(moved))).filter((line) => /^\w+_temp_path /.test(line)),
        ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((dir) => `${dir}_temp_path /tmp/p/${dir}_temp`),
      );
      assert.deepEqual(directive(moved, "error_log"), ["error_log /var/log/p.log info"]);
      assert.deepEqual(lines(http(parseNginxConf(moved))).filter((line) => line.startsWith("access_log")), ["access_log /var/log/a.log pomona"]);
    });
  });

  describe("abuse limits", () => {
    it("limits connections per client address and sets slowloris timeouts", () => {
      const conf = renderNginxConfig(local({ maxConnectionsPerIp: 64, clientHeaderTimeoutSec: 7, clientBodyTimeoutSec: 8, keepaliveTimeoutSec: 9, largeClientHeaderBufferKiB: 16 }));
      assert.deepEqual(directive(conf, "limit_conn"), ["limit_conn pomona_per_ip 64"]);
      assert.deepEqual(directive(conf, "client_header_timeout"), ["client_header_timeout 7s"]);
      assert.deepEqual(directive(conf, "client_body_timeout"), ["client_body_timeout 8s"]);
      assert.deepEqual(directive(conf, "keepalive_timeout"), ["keepalive_timeout 9s"]);
      assert.deepEqual(directive(conf, "large_client_header_buffers"), ["large_client_header_buffers 4 16k"]);
    });
  });

  describe("TLS", () => {
    it("is off unless configured: no ssl listener and no ssl directive", () => {
      const conf = renderNginxConfig(cluster());
      assert.deepEqual(directive(conf, "listen"), ["listen 8080 default_server"]);
      assert.deepEqual(lines(server(parseNginxConf(conf))).filter((line) => line.startsWith("ssl")), []);
    });

    it("never offers http2 on the WebSocket listener", () => {
      const conf = renderNginxConfig(reference());
      assert.deepEqual(directive(conf, "http2"), []);
      assert.ok(!directive(conf, "listen")[0]!.split(" ").includes("http2"));
    });
  });

  it("is deterministic: the same topology renders the same bytes", () => {
    const input = cluster({ connectors: 50, tls: { certificatePath: "tls.crt", keyPath: "tls.key" } });
    const first = renderNginxConfig(input);
    assert.equal(renderNginxConfig(structuredClone(input)), first);
    assert.equal(renderNginxConfig(input), first);
    assert.doesNotMatch(first, /\d{4}-\d{2}-\d{2}/, "no date in the output");
  });

  describe("invalid topologies fail with the key and the fix", () => {
    it("rejects fewer than one connector", () => rejects(local({ connectors: 0, connectorPorts: [] }), "connectors", /at least 1/));

    it("rejects wildcard, uppercase, trailing-dot and injected domains", () => {
      for (const domain of ["*.example.com", "Play.Example.com", "example.com.", "a b.com", "x;proxy_pass http://evil", "", "-bad.com"]) {
        rejects(cluster({ domain }), "domain", /lowercase DNS name.*no wildcard, no uppercase/);
      }
    });

    it("rejects a read timeout not above 2 × heartbeat", () => {
      rejects(local({ heartbeatSec: 10, proxyTimeoutSec: 20 }), "proxyTimeoutSec", /above 2 × heartbeatSec \(20 s\)/);
    });

    it("rejects a local port list that does not match the connector count", () => {
      rejects(local({ connectors: 3, connectorPorts: [1, 2] }), "connectorPorts", /exactly one port per connector/);
    });

    it("rejects an unknown mode, a bad resolver, bad namespace and paths that could inject directives", () => {
      rejects({ ...local(), mode: "edge" }, "mode", /"cluster".*"local"/);
      rejects(cluster({ resolvers: ["kube dns"] }), "resolvers.0", /IP address/);
      rejects(cluster({ resolvers: [] }), "resolvers", /at least one/);
      rejects(cluster({ namespace: "Games" }), "namespace", /DNS-1123 label/);
      rejects(cluster({ tls: { certificatePath: "/etc/x.crt; include /etc/passwd", keyPath: "k" } }), "tls.certificatePath", /without spaces/);
      rejects(local({ paths: { pid: "$pid" } }), "paths.pid", /without spaces/);
    });

    it("rejects unknown keys, so a typo is not silently ignored", () => {
      rejects({ ...cluster(), connectorPrt: 3010 }, "(root)", /connectorPrt/);
    });
  });
});

describe("nginx config: access logs", () => {
  it("never logs the query string, where the signed connect token travels", () => {
    const text = renderNginxConfig(local({ paths: { accessLog: "/var/log/pomona/access.log" } } as never));
    const format = text.split("\n").find((line) => line.includes("log_format pomona"));
    assert.ok(format, "a log format of our own is defined");
    assert.doesNotMatch(format!, /\$request[^_]|\$request$|\$args|\$query_string|\$request_uri/);
    assert.match(text, /access_log \S+ pomona;/);
  });
});
