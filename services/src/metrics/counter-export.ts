/**
 * Exports the plain counter objects the servers already keep (ConnectorCounters, RuntimeCounters …)
 * as Prometheus series, read at scrape time: nothing on the hot path, one source of truth for the
 * numbers tests, `stats` lines and dashboards see.
 */
import { Counter, Gauge, type Registry } from "./prom-client";

/** How one field of a counters object becomes a series. */
export type SeriesSpec =
  /** A number that only grows (`_total` is appended). */
  | { readonly kind: "counter"; readonly help: string }
  /** A number that goes up and down. */
  | { readonly kind: "gauge"; readonly help: string }
  /** A `Record<string, number>` of growing numbers: one series per key, the key in `label`. */
  | { readonly kind: "counterBy"; readonly label: string; readonly help: string }
  /** A `Record<string, number>` of current values. */
  | { readonly kind: "gaugeBy"; readonly label: string; readonly help: string };

export const counter = (help: string): SeriesSpec => ({ kind: "counter", help });
export const gauge = (help: string): SeriesSpec => ({ kind: "gauge", help });
export const counterBy = (label: string, help: string): SeriesSpec => ({ kind: "counterBy", label, help });
export const gaugeBy = (label: string, help: string): SeriesSpec => ({ kind: "gaugeBy", label, help });

/**
 * Registers `<prefix><field>` for every field of `spec`, reading `read()[field]` when scraped.
 * Fields missing or not numbers at scrape time are skipped, never a scrape failure.
 */
export function exportCounters<T extends object>(registry: Registry, prefix: string, read: () => T, spec: Partial<Record<keyof T & string, SeriesSpec>>): void {
  for (const [field, series] of Object.entries(spec) as Array<[keyof T & string, SeriesSpec]>) {
    const name = `${prefix}${snake(field)}`;
    const value = () => (read() as Record<string, unknown>)[field];
    switch (series.kind) {
      case "counter":
        new Counter({
          name: `${name}_total`,
          help: series.help,
          registers: [registry],
          collect() {
            const current = value();
            this.reset();
            if (typeof current === "number" && current > 0) this.inc(current);
          },
        });
        break;
      case "gauge":
        new Gauge({
          name,
          help: series.help,
          registers: [registry],
          collect() {
            const current = value();
            if (typeof current === "number") this.set(current);
          },
        });
        break;
      case "counterBy":
        new Counter({
          name: `${name}_total`,
          help: series.help,
          labelNames: [series.label],
          registers: [registry],
          collect() {
            this.reset();
            for (const [key, count] of entries(value())) if (count > 0) this.inc({ [series.label]: key }, count);
          },
        });
        break;
      case "gaugeBy":
        new Gauge({
          name,
          help: series.help,
          labelNames: [series.label],
          registers: [registry],
          collect() {
            this.reset();
            for (const [key, current] of entries(value())) this.set({ [series.label]: key }, current);
          },
        });
        break;
    }
  }
}

function entries(value: unknown): Array<[string, number]> {
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).filter((entry): entry is [string, number] => typeof entry[1] === "number");
}

/** `backpressureCloses` → `backpressure_closes`. */
function snake(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}
