import type { OptionSpecs } from "./option-spec";

function shownDefault(v: unknown): string {
  if (v === undefined) return "";
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/** `--help` text generated from the same declarations that parse the options. */
export function formatHelp(usage: string, specs: OptionSpecs): string {
  const rows = Object.values(specs).map((s) => {
    const left = `  --${s.flag}${s.isBoolean ? "" : " <value>"}`;
    const env = s.env ? ` [env ${s.env}]` : "";
    const def = s.defaultValue === undefined ? "" : ` (default ${shownDefault(s.defaultValue)})`;
    return `${left}\n      ${s.description}${def}${env}\n      accepts ${s.accepted}`;
  });
  return `${usage}\n\nOptions:\n${rows.join("\n")}\n  --help\n      Show this help.\n`;
}

/** The same declarations as a Markdown table, for the app READMEs. */
export function formatMarkdownTable(specs: OptionSpecs): string {
  const lines = ["| flag | env | default | accepts | meaning |", "|---|---|---|---|---|"];
  for (const s of Object.values(specs)) {
    // A default is never a secret (a secret option's value is, and is never shown): the table
    // and --help show the same defaults.
    const def = shownDefault(s.defaultValue);
    lines.push(
      `| \`--${s.flag}\` | ${s.env ? `\`${s.env}\`` : ""} | ${def ? `\`${def}\`` : ""} | ${s.accepted} | ${s.description} |`,
    );
  }
  return lines.join("\n");
}
