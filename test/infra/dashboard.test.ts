/**
 * The Grafana dashboard (docs/grafana/pomona-dashboard.json) queries only what the services export.
 * The exporters run in-process — the registries connectors, gates and game servers build, fed by
 * empty sources — so a renamed series or label fails here, not on a blank panel in production.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import type { Registry } from "prom-client";
import { REPO_ROOT } from "../../infra/offline/evaluate";
import { registerGameMetrics } from "../../services/src/game/metrics";
import { registerGateMetrics } from "../../services/src/gate/metrics";
import { createMetricsRegistry } from "../../services/src/metrics";
import { registerConnectorMetrics } from "../../services/src/roles/connector-metrics";
import type { Loose } from "./stacks";

const DASHBOARD = path.join(REPO_ROOT, "docs", "grafana", "pomona-dashboard.json");
/** Labels Prometheus itself puts on every scraped series (ServiceMonitor targets and pod annotations). */
const TARGET_LABELS = ["job", "instance", "namespace", "pod", "service", "endpoint", "container"];

/** A source that has counted nothing yet: exporters skip fields that are missing. */
const nothing = <T>(): T => ({}) as T;

function exporters(): Registry[] {
  const connector = createMetricsRegistry("connector", "connector-0");
  registerConnectorMetrics(connector, { counters: nothing, router: nothing, uids: nothing, discovery: nothing, knownRoute: () => true });
  const gate = createMetricsRegistry("gate", "gate-0");
  registerGateMetrics(gate, nothing);
  const game = createMetricsRegistry("game", "arena-1");
  registerGameMetrics(game, nothing);
  return [connector, gate, game];
}

/** Every series name a scrape of those registries can contain, with the labels it can carry. */
async function exportedSeries(): Promise<Map<string, Set<string>>> {
  const series = new Map<string, Set<string>>();
  for (const registry of exporters()) {
    const metrics = await registry.getMetricsAsJSON();
    // The registry's default labels, as a collected series carries them.
    const defaults = Object.keys(metrics.find((m) => m.name.endsWith("process_start_time_seconds"))!.values[0]!.labels);
    assert.deepEqual([...defaults].sort(), ["role", "server"]);
    for (const metric of metrics) {
      const own = (registry.getSingleMetric(metric.name) as unknown as { labelNames: string[] }).labelNames;
      const labels = [...own, ...defaults, ...TARGET_LABELS];
      // The typings say a numeric enum; the JSON carries the type's name.
      if (String(metric.type) === "histogram") {
        series.set(`${metric.name}_bucket`, new Set([...labels, "le"]));
        series.set(`${metric.name}_sum`, new Set(labels));
        series.set(`${metric.name}_count`, new Set(labels));
      } else {
        series.set(metric.name, new Set(labels));
      }
    }
  }
  return series;
}

interface Query {
  where: string;
  expr: string;
  legend?: string;
}

function queriesOf(dashboard: Loose): Query[] {
  const panels: Loose[] = dashboard.panels.flatMap((p: Loose) => [p, ...(p.panels ?? [])]);
  const targets = panels.flatMap((p) => (p.targets ?? []).map((t: Loose) => ({ where: `panel "${p.title}" ${t.refId}`, expr: t.expr, legend: t.legendFormat })));
  const variables = dashboard.templating.list.filter((v: Loose) => v.type === "query").map((v: Loose) => ({ where: `variable $${v.name}`, expr: v.query.query }));
  return [...targets, ...variables];
}

/** `name{matchers}` in a PromQL expression: the metric and the labels its matchers name. */
function selectors(expr: string): Array<{ metric: string; labels: string[] }> {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}/g)].map(([, metric, matchers]) => ({
    metric: metric!,
    labels: [...matchers!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)\s*"/g)].map(([, label]) => label!),
  }));
}

/** `label_values(metric{…}, label)`: a variable's query. */
const labelValues = (expr: string) => /^label_values\(\s*(pomona_[a-z0-9_]+)(?:\{[^}]*\})?\s*,\s*(\w+)\s*\)$/.exec(expr);
const pomonaNames = (expr: string) => [...expr.matchAll(/\bpomona_[a-z0-9_]+/g)].map((m) => m[0]);
const listed = (text: string) => text.split(",").map((label) => label.trim()).filter(Boolean);
const groupingLabels = (expr: string) => [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap(([, labels]) => listed(labels!));

describe("Grafana dashboard", () => {
  let dashboard: Loose;
  let exported: Map<string, Set<string>>;
  let queries: Query[];

  before(async () => {
    dashboard = JSON.parse(fs.readFileSync(DASHBOARD, "utf8"));
    exported = await exportedSeries();
    queries = queriesOf(dashboard);
  });

  it("is a Grafana 10 dashboard whose panels and variables all query the ${DS_PROMETHEUS} input", () => {
    assert.ok(dashboard.schemaVersion >= 37, `schemaVersion ${dashboard.schemaVersion}`);
    assert.deepEqual(dashboard.__inputs.map((i: Loose) => [i.name, i.type, i.pluginId]), [["DS_PROMETHEUS", "datasource", "prometheus"]]);
    const grafana = dashboard.__requires.find((r: Loose) => r.id === "grafana");
    assert.ok(Number(grafana.version.split(".")[0]) >= 10, grafana.version);
    const panels = dashboard.panels.filter((p: Loose) => p.type !== "row");
    assert.ok(panels.length >= 15, `${panels.length} panels`);
    assert.equal(new Set(dashboard.panels.map((p: Loose) => p.id)).size, dashboard.panels.length, "panel ids are unique");
    for (const holder of [...panels, ...panels.flatMap((p: Loose) => p.targets), ...dashboard.templating.list]) {
      assert.deepEqual(holder.datasource, { type: "prometheus", uid: "${DS_PROMETHEUS}" }, holder.title ?? holder.name ?? holder.refId);
    }
  });

  it("offers job, role and server variables, each narrowing the next and every query", () => {
    const variables = dashboard.templating.list;
    assert.deepEqual(variables.map((v: Loose) => v.name), ["job", "role", "server"]);
    for (const variable of variables) assert.ok(variable.multi && variable.includeAll, variable.name);
    assert.match(variables[1].query.query, /job=~"\$job"/);
    assert.match(variables[2].query.query, /job=~"\$job",role=~"\$role"/);
    for (const query of queries.filter((q) => !q.where.startsWith("variable"))) {
      for (const { metric, labels } of selectors(query.expr)) {
        for (const variable of ["job", "role", "server"]) assert.ok(labels.includes(variable), `${query.where}: ${metric} is not filtered by $${variable}`);
      }
    }
  });

  it("every metric a panel or variable queries is one the services export", () => {
    assert.ok(exported.has("pomona_connector_request_duration_seconds_bucket") && exported.has("pomona_nodejs_eventloop_lag_p99_seconds"), "the exporters ran");
    for (const query of queries) {
      const names = new Set([...selectors(query.expr).map((s) => s.metric), ...pomonaNames(query.expr)]);
      assert.ok(names.size > 0, `${query.where}: queries no metric`);
      for (const name of names) assert.ok(exported.has(name), `${query.where}: ${name} is not exported by any Pomona server`);
    }
  });

  it("every label a query filters, groups or labels its legend by is one those series carry", () => {
    for (const query of queries) {
      const found = selectors(query.expr);
      for (const { metric, labels } of found) {
        for (const label of labels) assert.ok(exported.get(metric)?.has(label), `${query.where}: ${metric} has no label ${label}`);
      }
      const variable = labelValues(query.expr);
      if (query.where.startsWith("variable")) assert.ok(variable, `${query.where}: not a label_values query`);
      const series = variable ? [variable[1]!] : found.map((s) => s.metric);
      const grouped = variable ? [variable[2]!] : groupingLabels(query.expr);
      for (const label of grouped) {
        for (const metric of series) assert.ok(exported.get(metric)?.has(label), `${query.where}: groups by ${label}, which ${metric} does not carry`);
      }
      for (const [, label] of (query.legend ?? "").matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
        assert.ok(groupingLabels(query.expr).includes(label!), `${query.where}: legend {{${label}}} is not kept by the query's aggregation`);
      }
    }
  });

  it("quantiles are taken over histogram buckets, grouped by le", () => {
    const quantiles = queries.filter((q) => q.expr.includes("histogram_quantile"));
    assert.ok(quantiles.length >= 6);
    for (const query of quantiles) {
      for (const { metric } of selectors(query.expr)) assert.match(metric, /_bucket$/, query.where);
      assert.ok(groupingLabels(query.expr).includes("le"), `${query.where}: histogram_quantile needs le in its sum by`);
    }
  });

  it("shows clients, requests, RPC, ticks, batches, fan-out, closes, gate, discovery, event loop and memory", () => {
    const used = new Set(queries.flatMap((q) => pomonaNames(q.expr)));
    const wanted = [
      "pomona_connector_clients",
      "pomona_connector_sessions",
      "pomona_connector_request_duration_seconds_count",
      "pomona_connector_request_duration_seconds_bucket",
      "pomona_rpc_call_duration_seconds_bucket",
      "pomona_rpc_call_duration_seconds_count",
      "pomona_game_tick_duration_seconds_bucket",
      "pomona_game_overruns_total",
      "pomona_game_batch_entries_bucket",
      "pomona_connector_fanout_messages_total",
      "pomona_connector_fanout_duration_seconds_bucket",
      "pomona_connector_closes_total",
      "pomona_connector_backpressure_closes_total",
      "pomona_gate_queries_total",
      "pomona_discovery_members",
      "pomona_discovery_redis_errors_total",
      "pomona_nodejs_eventloop_lag_seconds",
      "pomona_nodejs_eventloop_lag_p99_seconds",
      "pomona_process_resident_memory_bytes",
    ];
    assert.deepEqual(wanted.filter((name) => !used.has(name)), []);
  });
});
