import assert from "node:assert/strict";
import { ConfigError } from "../../services/src/config/validate";
import { renderNginxConfig, type NginxTopologyInput } from "../../services/src/proxy";

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

/** The lines between `map $host $pomona_connector {` and its closing brace, trimmed. */
function hostMapEntries(conf: string): string[] {
  const lines = conf.split("\n").map((line) => line.trim());
  const start = lines.indexOf("map $host $pomona_connector {");
  assert.ok(start >= 0, "the Host map is present");
  const end = lines.indexOf("}", start);
  return lines.slice(start + 1, end);
}

function directive(conf: string, name: string): string[] {
  return conf
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.startsWith(`${name} `));
}

function seconds(line: string): number {
  const match = /\s(\d+)s;$/.exec(line);
  assert.ok(match, `"${line}" ends in a seconds value`);
  return Number(match[1]);
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
  describe("the Host map", () => {
    it("has exactly one explicit entry per connector replica, pointing at its pod DNS name in cluster mode", () => {
      const entries = hostMapEntries(renderNginxConfig(cluster({ connectors: 3 })));
      assert.deepEqual(entries, [
        'default "";',
        "connector-0.play.example.com connector-0.pomona-connectors.games.svc.cluster.local:3010;",
        "connector-1.play.example.com connector-1.pomona-connectors.games.svc.cluster.local:3010;",
        "connector-2.play.example.com connector-2.pomona-connectors.games.svc.cluster.local:3010;",
      ]);
    });

    it("points connector i at 127.0.0.1:<connectorPorts[i]> in local mode", () => {
      const entries = hostMapEntries(renderNginxConfig(local({ connectorPorts: [4100, 4200] })));
      assert.deepEqual(entries, ['default "";', "connector-0.localhost 127.0.0.1:4100;", "connector-1.localhost 127.0.0.1:4200;"]);
    });

    it("scales to 1000 replicas with 1000 distinct hosts and no regex, wildcard or hostnames entry", () => {
      const conf = renderNginxConfig(cluster({ connectors: 1000 }));
      const entries = hostMapEntries(conf).slice(1);
      assert.equal(entries.length, 1000);
      assert.equal(new Set(entries.map((entry) => entry.split(/\s+/)[0])).size, 1000);
      for (const entry of entries) {
        assert.match(entry, /^connector-\d+\.play\.example\.com\s+connector-\d+\.pomona-connectors\.games\.svc\.cluster\.local:3010;$/);
      }
      assert.ok(!hostMapEntries(conf).some((entry) => entry.startsWith("~") || entry.includes("*") || entry === "hostnames;"));
      assert.doesNotMatch(conf, /server_name\s+~/);
    });

    it("defaults to an empty target, and an empty target returns 404 before proxy_pass", () => {
      const conf = renderNginxConfig(local());
      assert.equal(hostMapEntries(conf)[0], 'default "";');
      const location = conf.slice(conf.indexOf("location / {"));
      assert.match(location, /if \(\$pomona_connector = ""\) \{\s+return 404;\s+\}/);
      assert.ok(location.indexOf("return 404;") < location.indexOf("proxy_pass"));
      assert.deepEqual(directive(conf, "proxy_pass"), ["proxy_pass http://$pomona_connector;"]);
    });

    it("uses the StatefulSet name and cluster domain given for pod names", () => {
      const entries = hostMapEntries(renderNginxConfig(cluster({ connectors: 1, statefulSetName: "edge", clusterDomain: "k8s.internal" })));
      assert.equal(entries[1], "connector-0.play.example.com edge-0.pomona-connectors.games.svc.k8s.internal:3010;");
    });
  });

  describe("WebSocket proxying", () => {
    it("sends the upgrade, host and forwarding headers over HTTP/1.1", () => {
      const conf = renderNginxConfig(cluster());
      assert.match(conf, /map \$http_upgrade \$connection_upgrade \{\s+default upgrade;\s+""\s+close;\s+\}/);
      assert.deepEqual(directive(conf, "proxy_http_version"), ["proxy_http_version 1.1;"]);
      assert.deepEqual(directive(conf, "proxy_set_header"), [
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
        "proxy_set_header Host $host;",
        "proxy_set_header X-Real-IP $remote_addr;",
        "proxy_set_header X-Forwarded-For $remote_addr;",
        "proxy_set_header X-Forwarded-Proto $scheme;",
      ]);
    });

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
      assert.equal(seconds(directive(chosen, "proxy_read_timeout")[0]!), 21);
    });

    it("answers /healthz with 200 from nginx itself", () => {
      const conf = renderNginxConfig(cluster());
      assert.match(conf, /location = \/healthz \{[^}]*return 200 "ok\\n";\s+\}/);
    });
  });

  describe("modes", () => {
    it("declares a resolver with timeout only in cluster mode, defaulting to kube-dns", () => {
      const clusterConf = renderNginxConfig(cluster());
      assert.deepEqual(directive(clusterConf, "resolver"), ["resolver kube-dns.kube-system.svc.cluster.local valid=10s ipv6=off;"]);
      assert.deepEqual(directive(clusterConf, "resolver_timeout"), ["resolver_timeout 5s;"]);
      const localConf = renderNginxConfig(local());
      assert.deepEqual(directive(localConf, "resolver"), []);
      assert.deepEqual(directive(localConf, "resolver_timeout"), []);
    });

    it("takes resolver IPs, ports, cache time and timeout from the topology", () => {
      const conf = renderNginxConfig(cluster({ resolvers: ["10.96.0.10", "[fd00::a]:5353"], resolverValidSec: 3, resolverTimeoutSec: 2, resolverIpv6: true }));
      assert.deepEqual(directive(conf, "resolver"), ["resolver 10.96.0.10 [fd00::a]:5353 valid=3s ipv6=on;"]);
      assert.deepEqual(directive(conf, "resolver_timeout"), ["resolver_timeout 2s;"]);
    });

    it("binds loopback by default in local mode and every interface in cluster mode", () => {
      assert.deepEqual(directive(renderNginxConfig(local({ listenPort: 18080 })), "listen"), ["listen 127.0.0.1:18080 default_server;"]);
      assert.deepEqual(directive(renderNginxConfig(cluster({ listenPort: 8080 })), "listen"), ["listen 8080 default_server;"]);
    });

    it("runs in the foreground with pid, logs and every temp path under the prefix by default", () => {
      const conf = renderNginxConfig(local());
      for (const expected of ["daemon off;", "master_process on;", "pid nginx.pid;", "error_log stderr warn;", "access_log off;"]) {
        assert.ok(conf.split("\n").some((line) => line.trim() === expected), expected);
      }
      const temps = conf.split("\n").map((line) => line.trim()).filter((line) => /^\w+_temp_path /.test(line));
      assert.deepEqual(temps, [
        "client_body_temp_path ./client_body_temp;",
        "proxy_temp_path ./proxy_temp;",
        "fastcgi_temp_path ./fastcgi_temp;",
        "uwsgi_temp_path ./uwsgi_temp;",
        "scgi_temp_path ./scgi_temp;",
      ]);
      const moved = renderNginxConfig(local({ paths: { pid: "/run/p/nginx.pid", tempDir: "/tmp/p/", errorLog: "/var/log/p.log", errorLogLevel: "info" } }));
      assert.deepEqual(directive(moved, "pid"), ["pid /run/p/nginx.pid;"]);
      assert.deepEqual(directive(moved, "proxy_temp_path"), ["proxy_temp_path /tmp/p/proxy_temp;"]);
      assert.deepEqual(directive(moved, "error_log"), ["error_log /var/log/p.log info;"]);
    });
  });

  describe("abuse limits", () => {
    it("limits connections per client address and sets slowloris timeouts", () => {
      const conf = renderNginxConfig(local({ maxConnectionsPerIp: 64, clientHeaderTimeoutSec: 7, clientBodyTimeoutSec: 8, keepaliveTimeoutSec: 9 }));
      assert.deepEqual(directive(conf, "limit_conn_zone"), ["limit_conn_zone $binary_remote_addr zone=pomona_per_ip:10m;"]);
      assert.deepEqual(directive(conf, "limit_conn"), ["limit_conn pomona_per_ip 64;"]);
      assert.deepEqual(directive(conf, "client_header_timeout"), ["client_header_timeout 7s;"]);
      assert.deepEqual(directive(conf, "client_body_timeout"), ["client_body_timeout 8s;"]);
      assert.deepEqual(directive(conf, "keepalive_timeout"), ["keepalive_timeout 9s;"]);
      assert.deepEqual(directive(conf, "large_client_header_buffers"), ["large_client_header_buffers 4 8k;"]);
    });
  });

  describe("TLS", () => {
    it("is off unless configured: no ssl listener and no certificate lines", () => {
      const conf = renderNginxConfig(cluster());
      assert.doesNotMatch(conf, /\bssl\b|ssl_/);
    });

    it("listens with ssl and without http2, modern protocols only, with the given certificate and key", () => {
      const conf = renderNginxConfig(cluster({ listenPort: 8443, tls: { certificatePath: "/etc/pomona/tls/tls.crt", keyPath: "/etc/pomona/tls/tls.key" } }));
      assert.deepEqual(directive(conf, "listen"), ["listen 8443 ssl default_server;"]);
      assert.deepEqual(directive(conf, "ssl_certificate"), ["ssl_certificate /etc/pomona/tls/tls.crt;"]);
      assert.deepEqual(directive(conf, "ssl_certificate_key"), ["ssl_certificate_key /etc/pomona/tls/tls.key;"]);
      assert.deepEqual(directive(conf, "ssl_protocols"), ["ssl_protocols TLSv1.2 TLSv1.3;"]);
      const directives = conf.split("\n").filter((line) => !line.trim().startsWith("#"));
      assert.ok(!directives.some((line) => line.includes("http2")), "no http2 on the WebSocket listener");
      assert.deepEqual(directive(conf, "proxy_set_header").filter((line) => line.includes("X-Forwarded-Proto")), ["proxy_set_header X-Forwarded-Proto $scheme;"]);
    });
  });

  it("answers /metrics itself with 404: connectors' metrics are for the cluster's scraper only", () => {
    const conf = renderNginxConfig(cluster({ connectors: 2 }));
    assert.match(conf, /location = \/metrics \{\n\s+return 404;\n\s+\}/);
    assert.ok(conf.indexOf("location = /metrics") < conf.indexOf("location / {"));
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
