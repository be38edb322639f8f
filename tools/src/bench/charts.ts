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
  windowSeconds: number,
): TopLevelSpec {
  return {
    title: {
      text: `Model pairs/s answered during a cold run (limit ${limit})`,
      subtitle: `pairs the mock answered in each whole ${windowSeconds} s window of its own clock, divided by the window`,
    },
    layer: [
      {
        data: { values: points },
        mark: { type: "line", point: true, interpolate: "step-after" },
        encoding: {
          x: { field: "t", type: "quantitative", title: "seconds since the first model call (window start)" },
          y: { field: "pairsPerSecond", type: "quantitative", title: "pairs/s answered" },
        },
      },
      limitRule(limit),
    ],
  };
}

/** The model's demand in real time over a day (log scale: the limit is far above it). */
export function demandChart(
  points: Array<{ hour: number; pairsPerSecond: number }>,
  limit: number,
  derivedFrom: string,
): TopLevelSpec {
  return {
    title: { text: `Model demand over a day against its limit (${limit} pairs/s)`, subtitle: derivedFrom },
    layer: [
      {
        data: { values: points },
        mark: { type: "line", point: true, interpolate: "step-after" },
        encoding: {
          x: {
            field: "hour",
            type: "quantitative",
            title: "hour of the day (files in name order, one a minute)",
          },
          y: {
            field: "pairsPerSecond",
            type: "quantitative",
            title: "new pairs/s the model must answer",
            scale: { type: "symlog" },
          },
        },
      },
      limitRule(limit),
    ],
  };
}

function limitRule(limit: number) {
  return {
    data: { values: [{ limit }] },
    mark: { type: "rule" as const, color: "firebrick", strokeDash: [6, 4] },
    encoding: { y: { field: "limit", type: "quantitative" as const } },
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
