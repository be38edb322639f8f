import { ConfigError } from "./config-error";
import type { OptionSpecs, OptionValues } from "./option-spec";

export interface ParsedCommandLine<S extends OptionSpecs> {
  values: OptionValues<S>;
  /** Arguments that are not options, in order (sub-commands, file names). */
  positionals: string[];
  /** Where each value came from, for a config dump. */
  sources: Record<keyof S, "flag" | "env" | "default">;
  help: boolean;
}

const truncate = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s);

/**
 * Parses `--flag value`, `--flag=value` and bare boolean flags, falling back to each option's
 * environment variable, then to its default. Every problem is collected, so one run of the
 * command tells the operator everything that is wrong.
 */
export function parseOptions<S extends OptionSpecs>(
  specs: S,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): ParsedCommandLine<S> {
  const byFlag = new Map(Object.entries(specs).map(([key, s]) => [s.flag, key]));
  const raw = new Map<string, string>();
  const positionals: string[] = [];
  const problems: string[] = [];
  let help = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    if (!arg.startsWith("--")) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const key = byFlag.get(name);
    const s = key === undefined ? undefined : specs[key];
    if (key === undefined || s === undefined) {
      problems.push(`unknown option --${name} (see --help for the accepted options)`);
      if (eq === -1 && argv[i + 1] !== undefined && !argv[i + 1]?.startsWith("--")) i++;
      continue;
    }
    if (eq !== -1) raw.set(key, arg.slice(eq + 1));
    else if (s.isBoolean) {
      const next = argv[i + 1];
      if (next !== undefined && /^(true|false)$/i.test(next)) {
        raw.set(key, next);
        i++;
      } else raw.set(key, "true");
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith("--")) {
        problems.push(`--${name} needs a value: ${s.accepted}`);
        continue;
      }
      raw.set(key, next);
      i++;
    }
  }

  const values: Record<string, unknown> = {};
  const sources: Record<string, "flag" | "env" | "default"> = {};
  for (const [key, s] of Object.entries(specs)) {
    let text = raw.get(key);
    let source: "flag" | "env" | "default" = "flag";
    let label = `--${s.flag}`;
    if (text === undefined && s.env !== undefined && env[s.env] !== undefined && env[s.env] !== "") {
      text = env[s.env];
      source = "env";
      label = s.env;
    }
    if (text === undefined) {
      values[key] = s.defaultValue;
      sources[key] = "default";
      continue;
    }
    sources[key] = source;
    try {
      values[key] = s.parse(text);
    } catch (err) {
      const shown = s.secret ? "<redacted>" : JSON.stringify(truncate(text));
      const also =
        source === "flag" && s.env ? ` (or ${s.env})` : source === "env" ? ` (or --${s.flag})` : "";
      problems.push(`${label}${also}: ${(err as Error).message}, got ${shown}`);
    }
  }

  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`, problems);
  }
  return { values: values as OptionValues<S>, positionals, sources: sources as Record<keyof S, never>, help };
}
