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
  return rateAgainstLimit(
    {
      text: `Model pairs/s answered during a cold run (limit ${limit})`,
      subtitle: `pairs the mock answered in each whole ${windowSeconds} s window of its own clock, divided by the window`,
    },
    points,
    { field: "t", title: "seconds since the first model call (window start)" },
    { title: "pairs/s answered" },
    limit,
  );
}

/** The model's demand in real time over a day (symlog scale: the limit is far above it). */
export function demandChart(
  points: Array<{ hour: number; pairsPerSecond: number }>,
  limit: number,
  derivedFrom: string,
): TopLevelSpec {
  return rateAgainstLimit(
    { text: `Model demand over a day against its limit (${limit} pairs/s)`, subtitle: derivedFrom },
    points,
    { field: "hour", title: "hour of the day (files in name order, one a minute)" },
    { title: "new pairs/s the model must answer", scale: { type: "symlog" } },
    limit,
  );
}

/** A step line of `pairsPerSecond` per fixed window, and the model's limit as a dashed rule. */
function rateAgainstLimit(
  title: { text: string; subtitle: string },
  points: object[],
  x: { field: string; title: string },
  y: { title: string; scale?: { type: "symlog" } },
  limit: number,
): TopLevelSpec {
  return {
    title,
    layer: [
      {
        data: { values: points },
        mark: { type: "line", point: true, interpolate: "step-after" },
        encoding: {
          x: { ...x, type: "quantitative" },
          y: { field: "pairsPerSecond", type: "quantitative", ...y },
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

/**
 * Horizontal bars in the rows' order; with `group` on the rows, coloured by it (with a legend);
 * with `rule`, a dashed vertical line at that value (a target).
 */
export function barsChart(
  title: string | { text: string; subtitle: string | string[] },
  rows: Array<{ label: string; value: number; group?: string }>,
  unit: string,
  rule?: number,
): TopLevelSpec {
  const bars = {
    mark: "bar",
    encoding: {
      y: { field: "label", type: "nominal", title: null, sort: null },
      x: { field: "value", type: "quantitative", title: unit },
      ...(rows.some((r) => r.group !== undefined)
        ? ({
            color: {
              field: "group",
              type: "nominal",
              title: null,
              // The rows' order, not the alphabet's, picks the colours and orders the legend.
              scale: { domain: [...new Set(rows.map((r) => r.group))] },
              legend: { orient: "bottom", labelLimit: 400 },
            },
          } as const)
        : {}),
    },
  } as const;
  if (rule === undefined) return { title, data: { values: rows }, ...bars };
  return {
    title,
    layer: [
      { data: { values: rows }, ...bars },
      {
        data: { values: [{ rule }] },
        mark: { type: "rule", color: "firebrick", strokeDash: [6, 4] },
        encoding: { x: { field: "rule", type: "quantitative" } },
      },
    ],
  };
}

const L2_NAMES = { lmdb: "LMDB", redis: "Redis" } as const;

/** The warm scenario's lines/s by stage of the bare loop, then the augmenter's, against its target. */
export function warmStagesChart(w: {
  l2: keyof typeof L2_NAMES;
  lines: number;
  bareLoopStages: Array<{ stage: string; linesPerSecond: number }>;
  linesPerSecond: number;
  targetLinesPerSecond: number;
}): TopLevelSpec {
  const l2 = L2_NAMES[w.l2];
  return barsChart(
    {
      text: `Warm path, ${l2} L2: lines/s by stage (${w.lines.toLocaleString("en-US")} lines)`,
      subtitle: [
        "bare loop: one pass over all the files per bar, doing that stage and those above it",
        `dashed: the target, ${w.targetLinesPerSecond.toLocaleString("en-US")} lines/s`,
      ],
    },
    [
      ...w.bareLoopStages.map((s) => ({ label: s.stage, value: s.linesPerSecond, group: "bare loop" })),
      { label: `augmenter, ${l2}`, value: w.linesPerSecond, group: "augmenter, end to end" },
    ],
    "lines/s",
    w.targetLinesPerSecond,
  );
}
