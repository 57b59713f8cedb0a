/**
 * services/src/metrics/prom-client.ts loads prom-client file by file to keep ~11 MB of unused
 * modules out of every server. These tests pin what that must not change: the default series are
 * exactly prom-client's own (names, types, help, labels), the CPU counters count, and the modules
 * it exists to avoid are not loaded.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import * as prom from "prom-client";
import { createMetricsRegistry, METRIC_PREFIX } from "../../services/src/metrics";
import { collectDefaultMetrics, Counter, Registry } from "../../services/src/metrics/prom-client";

const ROOT = path.resolve(__dirname, "../..");

/** name → "type|help|label names" of every series in a registry. */
async function shape(registry: prom.Registry): Promise<Map<string, string>> {
  const metrics = await registry.getMetricsAsJSON();
  return new Map(metrics.map((m) => [m.name, `${m.type}|${m.help}|${[...new Set(m.values.flatMap((v) => Object.keys(v.labels)))].sort().join(",")}`]));
}

describe("metrics: prom-client loaded file by file", () => {
  it("exposes exactly the default series prom-client's own collectDefaultMetrics does", async () => {
    const ours = new Registry();
    collectDefaultMetrics(ours, METRIC_PREFIX, 10);
    const theirs = new prom.Registry();
    prom.collectDefaultMetrics({ register: theirs, prefix: METRIC_PREFIX, eventLoopMonitoringPrecision: 10 });
    const [a, b] = [await shape(ours), await shape(theirs)];
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    for (const [name, described] of b) assert.equal(a.get(name), described, name);
    assert.ok(a.size >= 30, `only ${a.size} default series`);
  });

  it("counts CPU: total is user + system and grows with work done", async () => {
    const registry = new Registry();
    collectDefaultMetrics(registry, "t_", 10);
    const value = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]!.value;
    await value("t_process_cpu_user_seconds_total"); // collect once: the counters start from here
    const started = process.cpuUsage();
    const until = Date.now() + 60;
    let spin = 0;
    while (Date.now() < until) spin++;
    assert.ok(spin > 0);
    const spent = process.cpuUsage(started);
    const user = await value("t_process_cpu_user_seconds_total");
    const system = (await registry.getSingleMetric("t_process_cpu_system_seconds_total")!.get()).values[0]!.value;
    const total = (await registry.getSingleMetric("t_process_cpu_seconds_total")!.get()).values[0]!.value;
    assert.ok(user >= (spent.user / 1e6) * 0.9, `user ${user} s after ${spent.user / 1e6} s of work`);
    assert.ok(Math.abs(total - (user + system)) < 1e-9, `total ${total} against ${user} + ${system}`);
  });

  it("the classes are prom-client's own (a Counter registers and serializes as one)", async () => {
    const registry = new Registry();
    const counter = new Counter({ name: "t_things_total", help: "things", registers: [registry] });
    counter.inc(3);
    assert.ok(counter instanceof (require("prom-client/lib/counter") as typeof prom.Counter));
    assert.match(await registry.metrics(), /^t_things_total 3$/m);
  });

  it("a server's registry loads neither @opentelemetry/api, the Pushgateway nor prom-client's index", () => {
    const script = `
      const { createMetricsRegistry } = require(${JSON.stringify(path.join(ROOT, "services/src/metrics"))});
      createMetricsRegistry("connector", "connector-0");
      const loaded = Object.keys(require.cache);
      console.log(JSON.stringify({
        otel: loaded.filter((f) => f.includes("@opentelemetry")).length,
        pushgateway: loaded.filter((f) => f.endsWith("pushgateway.js")).length,
        index: loaded.filter((f) => /prom-client[\\\\/]index\\.js$/.test(f)).length,
        promFiles: loaded.filter((f) => f.includes("prom-client")).length,
      }));`;
    // A fresh process: this one has loaded prom-client's index for the comparison above.
    const loaded = JSON.parse(execFileSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, encoding: "utf8" })) as Record<string, number>;
    assert.deepEqual({ otel: loaded.otel, pushgateway: loaded.pushgateway, index: loaded.index }, { otel: 0, pushgateway: 0, index: 0 });
    assert.ok(loaded.promFiles! > 10, `only ${loaded.promFiles} prom-client files: the registry was not built`);
  });

  it("the registry a server builds is labelled with its role and id", async () => {
    const registry = createMetricsRegistry("game", "arena-1");
    assert.match(await registry.metrics(), /^pomona_process_cpu_seconds_total\{role="game",server="arena-1"\} /m);
  });
});
