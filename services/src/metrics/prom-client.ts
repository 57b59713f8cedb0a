/**
 * prom-client's classes and default metrics, loaded file by file. Its index also loads the
 * Pushgateway (http, https), the cluster aggregator and, through its default CPU metric,
 * @opentelemetry/api — none of which a server uses — for about 11 MB of RSS in every server
 * process (bare Node 20: 39.4 MB; + `require("prom-client")` 51.2 MB; + the files below 40.1 MB;
 * docs/benchmarks.md, "Memory"). The types still come from the package (type-only import).
 * test/metrics/prom-client.test.ts pins the series against the package's own collectDefaultMetrics.
 */
import type * as Prom from "prom-client";

export const Registry = require("prom-client/lib/registry") as typeof Prom.Registry;
export const Counter = require("prom-client/lib/counter") as typeof Prom.Counter;
export const Gauge = require("prom-client/lib/gauge") as typeof Prom.Gauge;
export const Histogram = require("prom-client/lib/histogram") as typeof Prom.Histogram;
export type Registry = Prom.Registry;

type DefaultMetric = (registry: Prom.Registry, config: Prom.DefaultMetricsCollectorConfiguration<"text/plain; version=0.0.4; charset=utf-8">) => void;

/** prom-client's default metrics except its process CPU one (processCpuSeconds below replaces it). */
const DEFAULT_METRIC_FILES = [
  "processStartTime",
  "osMemoryHeap",
  "processOpenFileDescriptors",
  "processMaxFileDescriptors",
  "eventLoopLag",
  "processResources",
  "processHandles",
  "processRequests",
  "heapSizeAndUsed",
  "heapSpacesSizeAndUsed",
  "version",
  "gc",
] as const;

/** The same series as prom-client's collectDefaultMetrics, without loading @opentelemetry/api. */
export function collectDefaultMetrics(registry: Prom.Registry, prefix: string, eventLoopMonitoringPrecision: number): void {
  const config = { register: registry, prefix, eventLoopMonitoringPrecision };
  processCpuSeconds(registry, prefix);
  for (const file of DEFAULT_METRIC_FILES) {
    // processResources needs process.getActiveResourcesInfo (Node ≥ 17), as prom-client checks.
    if (file === "processResources" && typeof process.getActiveResourcesInfo !== "function") continue;
    (require(`prom-client/lib/metrics/${file}`) as DefaultMetric)(registry, config);
  }
}

/** process_cpu_{user,system,}_seconds_total, as prom-client's processCpuTotal writes them (without its exemplars). */
function processCpuSeconds(registry: Prom.Registry, prefix: string): void {
  let last = process.cpuUsage();
  const registers = [registry];
  const system = new Counter({ name: `${prefix}process_cpu_system_seconds_total`, help: "Total system CPU time spent in seconds.", registers });
  const total = new Counter({ name: `${prefix}process_cpu_seconds_total`, help: "Total user and system CPU time spent in seconds.", registers });
  const user: Prom.Counter = new Counter({
    name: `${prefix}process_cpu_user_seconds_total`,
    help: "Total user CPU time spent in seconds.",
    registers,
    // This one metric's collect sets all three, as prom-client's does.
    collect() {
      const now = process.cpuUsage();
      const userSeconds = (now.user - last.user) / 1e6;
      const systemSeconds = (now.system - last.system) / 1e6;
      last = now;
      user.inc(userSeconds);
      system.inc(systemSeconds);
      total.inc(userSeconds + systemSeconds);
    },
  });
}
