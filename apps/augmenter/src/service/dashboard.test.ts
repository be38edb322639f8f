import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { registerQueueMetrics } from "../operations/queue-metrics";
import { AugmenterMetrics } from "./augmenter-metrics";

// The Grafana dashboard shipped in deploy/ may only chart metrics the service exports: a
// renamed metric would otherwise leave an empty panel that nobody notices until an incident.
const DASHBOARD = new URL("../../../../deploy/grafana/augmenter-dashboard.json", import.meta.url);

interface Panel {
  title: string;
  targets?: Array<{ expr: string }>;
  panels?: Panel[];
}

const KEYWORDS = new Set([
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "and",
  "or",
  "unless",
  "offset",
]);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords or labels. */
function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, " ") // label matchers
    .replace(/\[[^\]]*\]/g, " ") // range and subquery windows
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " "); // label lists
  // Whole identifiers (not part of a number such as 5m or 1e3) not followed by "(".
  const tokens = bare.matchAll(/(?<![\w:.$])[a-zA-Z_:][\w:]*(?![\w:])(?!\s*\()/g);
  const names = [...tokens].map((m) => m[0]).filter((n) => !KEYWORDS.has(n) && !/^(inf|nan)$/i.test(n));
  return [...new Set(names)];
}

/** Series names the service's registry exposes (a histogram's _bucket, _sum and _count). */
async function exportedNames(): Promise<Set<string>> {
  const { registry } = new AugmenterMetrics();
  // Where files go through BullMQ, the queue's gauges join the service's registry.
  registerQueueMetrics([{ name: "files", getJobCounts: () => Promise.resolve({ waiting: 1 }) }], registry);
  const metrics = await registry.getMetricsAsJSON();
  const names = new Set<string>();
  for (const m of metrics) {
    names.add(m.name);
    // prom-client types `type` as an enum its package does not export by name.
    const type = String(m.type);
    if (type === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(`${m.name}${s}`);
    if (type === "summary") for (const s of ["_sum", "_count"]) names.add(`${m.name}${s}`);
  }
  return names;
}

describe("the Grafana dashboard", () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as { panels: Panel[] };
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.targets);
  const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

  it("finds the metric names of an expression, and only those", () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.9, sum by (le) (rate(augmenter_file_seconds_bucket{result="done"}[$__rate_interval]))) / on(x) group_left(tier) max(up_total offset 5m)',
      ),
    ).toEqual(["augmenter_file_seconds_bucket", "up_total"]);
  });

  it("charts only metrics the service exports", async () => {
    const exported = await exportedNames();
    const referenced = exprs.flatMap(({ panel, expr }) =>
      metricNamesIn(expr).map((name) => ({ panel, name })),
    );
    expect(exprs.length).toBeGreaterThan(10);
    expect(referenced.filter((r) => !exported.has(r.name))).toEqual([]);
    // Each required chart is there.
    const names = new Set(referenced.map((r) => r.name));
    for (const n of [
      "augmenter_model_pairs_total",
      "augmenter_model_rate_limit_pairs_per_second",
      "augmenter_file_distinct_pairs_bucket",
      "augmenter_cache_hits_total",
      "augmenter_file_seconds_bucket",
      "augmenter_model_rpcs_total",
      "augmenter_dependency_up",
      "augmenter_queue_jobs",
      "augmenter_queue_counts_read",
    ])
      expect(names).toContain(n);
  });

  it("exports the totals as counters named *_total", async () => {
    const metrics = await new AugmenterMetrics().registry.getMetricsAsJSON();
    const byName = new Map(metrics.map((m) => [m.name, String(m.type)]));
    expect(byName.get("augmenter_pairs_resolved_by_other_workers_total")).toBe("counter");
    expect(byName.get("augmenter_coordination_errors_total")).toBe("counter");
    const misnamed = metrics.filter((m) => String(m.type) === "counter" && !m.name.endsWith("_total"));
    expect(misnamed.map((m) => m.name)).toEqual([]);
  });
});
