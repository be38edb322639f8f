import { realpathSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "@rl/cli";
import { parseS3Uri } from "@rl/s3";

/** The three locations as configured, errors after its default was applied. */
export interface Locations {
  raw: string;
  mod: string;
  errors: string;
  /** ERRORS_URI was not set: `errors` is `defaultErrorsUri(mod)`. */
  errorsIsDefault?: boolean;
}

export interface LocationCheckOptions {
  /** What relative directories are resolved against. @default process.cwd() */
  cwd?: string;
  /** @default realpathSync.native */
  realpath?: (path: string) => string;
}

const RULE = "the raw, mod and errors locations must be three places, none equal to or inside another";

/** A location in one comparable form: ends with exactly one separator, so prefixes compare on segments. */
interface Place {
  kind: "s3" | "local";
  canonical: string;
}

/**
 * Refuses overlapping locations (design.md §3 "Locations"): dead letters written over the inputs
 * are read back as input and overwrite good outputs, and outputs written under the raw prefix
 * are reprocessed forever. Throws a ConfigError naming every overlapping pair.
 */
export function assertSeparateLocations(locations: Locations, options: LocationCheckOptions = {}): void {
  const cwd = options.cwd ?? process.cwd();
  const realpath = options.realpath ?? realpathSync.native;
  const entries = [
    { label: "--raw-uri (or RAW_URI)", value: locations.raw },
    { label: "--mod-uri (or MOD_URI)", value: locations.mod },
    {
      label: locations.errorsIsDefault
        ? "--errors-uri (or ERRORS_URI; default, derived from MOD_URI)"
        : "--errors-uri (or ERRORS_URI)",
      value: locations.errors,
    },
  ].map((e) => ({ ...e, place: placeOf(e.label, e.value, cwd, realpath) }));

  const problems: string[] = [];
  let errorsInvolved = false;
  for (const [i, j] of [
    [0, 1],
    [0, 2],
    [1, 2],
  ] as const) {
    const a = entries[i]!;
    const b = entries[j]!;
    if (a.place.kind !== b.place.kind) continue;
    const [x, y] = [a.place.canonical, b.place.canonical];
    let problem: string | undefined;
    if (x === y) problem = `${describe(a)} is the same place as ${describe(b)}`;
    else if (x.startsWith(y)) problem = `${describe(a)} is inside ${describe(b)}`;
    else if (y.startsWith(x)) problem = `${describe(b)} is inside ${describe(a)}`;
    if (problem === undefined) continue;
    problems.push(problem);
    if (j === 2) errorsInvolved = true;
  }
  if (problems.length === 0) return;
  const hint =
    errorsInvolved && locations.errorsIsDefault
      ? "; set ERRORS_URI (or --errors-uri) to a place of its own"
      : "";
  const message =
    problems.length === 1 ? `${problems[0]}: ${RULE}${hint}` : `${RULE}${hint}:\n  ${problems.join("\n  ")}`;
  throw new ConfigError(message, problems);
}

function describe(e: { label: string; value: string; place: Place }): string {
  // Show what the value became only when that is news (a symlink, a relative path, a file:// URL).
  const same = e.place.canonical.replace(/\/+$/, "") === e.value.replace(/\/+$/, "");
  return same ? `${e.label} ${e.value}` : `${e.label} ${e.value} (${e.place.canonical})`;
}

function placeOf(label: string, uri: string, cwd: string, realpath: (path: string) => string): Place {
  try {
    if (uri.startsWith("s3://")) {
      const { bucket, prefix } = parseS3Uri(uri);
      // An empty prefix is the bucket root, which holds every other prefix of the bucket.
      return { kind: "s3", canonical: `s3://${bucket}/${prefix.replace(/\/+$/, "/")}` };
    }
    let path = uri;
    if (uri.startsWith("file://")) path = fileURLToPath(uri);
    else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
      throw new Error(
        `unsupported storage URI ${JSON.stringify(uri)}: expected s3://bucket/prefix/, file:///dir/ or a directory path`,
      );
    }
    const real = realpathOfDeepestAncestor(resolve(cwd, path), realpath);
    return { kind: "local", canonical: real.endsWith(sep) ? real : real + sep };
  } catch (err) {
    throw new ConfigError(`${label}: ${(err as Error).message}`);
  }
}

/** The location need not exist yet (stores create it), but a symlink above it still counts. */
function realpathOfDeepestAncestor(path: string, realpath: (path: string) => string): string {
  const missing: string[] = [];
  let dir = path;
  for (;;) {
    try {
      return join(realpath(dir), ...missing);
    } catch {
      // Missing, not a directory or unreadable: compare what lies above it.
      const parent = dirname(dir);
      if (parent === dir) return path;
      missing.unshift(basename(dir));
      dir = parent;
    }
  }
}
