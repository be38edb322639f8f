/** A figure as the report prints it: numbers with thousands separators, a dash for none. */
export const n = (v: unknown) => (typeof v === "number" ? v.toLocaleString("en-US") : String(v ?? "—"));

/** A two-column Markdown table of measures. */
export function table(rows: Array<[string, unknown]>): string {
  return ["| measure | value |", "|---|---|", ...rows.map(([k, v]) => `| ${k} | ${n(v)} |`)].join("\n");
}
