import * as vega from "vega";
import * as vl from "vega-lite";
import type { TopLevelSpec } from "vega-lite";

/** Renders a Vega-Lite spec to SVG headlessly (no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile({ width: 640, height: 280, ...spec } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

export function saturationChart(
  points: Array<{ t: number; pairsPerSecond: number }>,
  limit: number,
): TopLevelSpec {
  return {
    title: `Model pairs/s received during a cold run (limit ${limit})`,
    layer: [
      {
        data: { values: points },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "t", type: "quantitative", title: "seconds since the first model call" },
          y: { field: "pairsPerSecond", type: "quantitative", title: "pairs/s" },
        },
      },
      {
        data: { values: [{ limit }] },
        mark: { type: "rule", color: "firebrick", strokeDash: [6, 4] },
        encoding: { y: { field: "limit", type: "quantitative" } },
      },
    ],
  };
}

export function warmupChart(points: Array<{ lines: number; hitRatio: number }>): TopLevelSpec {
  return {
    title: "Cache hit ratio against lines processed (a long generated stream, cold start)",
    data: { values: points },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "lines", type: "quantitative", title: "lines processed" },
      y: {
        field: "hitRatio",
        type: "quantitative",
        title: "hit ratio of pair lookups",
        scale: { domain: [0, 1] },
      },
    },
  };
}

export function barsChart(
  title: string,
  rows: Array<{ label: string; value: number }>,
  unit: string,
): TopLevelSpec {
  return {
    title,
    data: { values: rows },
    mark: "bar",
    encoding: {
      y: { field: "label", type: "nominal", title: null, sort: null },
      x: { field: "value", type: "quantitative", title: unit },
    },
  };
}
