import { join } from "node:path";
import { ConfigError, createProgress, defaultDataDir, formatHelp, parseOptions, runMain } from "@rl/cli";
import { checkStore, openObjectStore } from "@rl/s3";
import { generateSamples } from "./generate-samples";
import { GENERATOR_CLI_OPTIONS } from "./generator-options";
import { seedFromText } from "./random";

const USAGE = `usage: sample-generator [options]

Writes realistic job postings as JSONL files named by Unix timestamp, one minute apart.`;

/** The date of the assignment's example posting; fixed so --seed alone reproduces every byte. */
const SEEDED_START_TIME = 1721183880;

async function main(): Promise<void> {
  const {
    values: o,
    help,
    positionals,
    sources,
  } = parseOptions(GENERATOR_CLI_OPTIONS, process.argv.slice(2), process.env);
  if (help) {
    process.stdout.write(formatHelp(USAGE, GENERATOR_CLI_OPTIONS));
    return;
  }
  if (positionals.length > 0)
    throw new ConfigError(
      `unexpected argument ${JSON.stringify(positionals[0])}: sample-generator takes options only (see --help)`,
    );
  // The default output sits in the data directory every command shares, not wherever the
  // command was started (`nx run sample-generator` runs in apps/sample-generator).
  const out =
    sources.out === "default"
      ? `${join(defaultDataDir({ DATA_DIR: o.dataDir, XDG_DATA_HOME: process.env.XDG_DATA_HOME }), "job-postings-raw")}/`
      : o.out;
  let store;
  try {
    store = await openObjectStore(out, o.s3Endpoint ? { endpoint: o.s3Endpoint } : {});
  } catch (err) {
    throw new ConfigError(`--out (or GEN_OUT): ${(err as Error).message}`);
  }
  process.stderr.write(
    `sample-generator: writing ${o.total.toLocaleString("en-US")} postings to ${store.location}\n`,
  );
  await checkStore(store, o.s3Endpoint);
  const files = Math.ceil(o.total / o.split);
  const seedText = o.seed ?? String(Date.now());
  const startTime =
    o.startTime > 0
      ? o.startTime
      : o.seed !== undefined
        ? SEEDED_START_TIME
        : Math.floor(Date.now() / 60_000) * 60 - (files - 1) * 60;

  const progress = createProgress({ label: "generating", total: o.total, unit: "postings" });
  const summary = await generateSamples(
    store,
    {
      total: o.total,
      split: o.split,
      startTime,
      gzip: o.gzip,
      seed: seedFromText(seedText),
      zipfExponent: o.zipf,
      titlesPerCompany: o.titlesPerCompany,
      variantRate: o.variantRate,
      badRate: o.badRate,
      longLineBytes: o.longLineBytes,
      vocabulary: { companies: o.companies, titles: o.titles, locations: 500 },
      countDistinct: true,
    },
    (n) => progress.set(n),
  );
  progress.done();
  const { keys, ...rest } = summary;
  const report = {
    out: store.location,
    seed: seedText,
    firstKey: keys[0],
    lastKey: keys[keys.length - 1],
    ...rest,
  };
  if (o.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const rows: Array<[string, string]> = [
    ["output", store.location],
    ["files", `${summary.files} (${report.firstKey} .. ${report.lastKey})`],
    ["postings", summary.records.toLocaleString("en-US")],
    ["lines", summary.lines.toLocaleString("en-US")],
    [
      "distinct pairs",
      `${summary.distinctPairs.toLocaleString("en-US")} (1 per ${(summary.records / Math.max(1, summary.distinctPairs)).toFixed(1)} postings)`,
    ],
    ["near-duplicate variants", summary.variants.toLocaleString("en-US")],
    [
      "hostile records",
      Object.entries(summary.hostile)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ") || "none",
    ],
    ["bytes", `${(summary.bytes / 1e6).toFixed(1)} MB`],
    [
      "time",
      `${summary.seconds.toFixed(2)} s (${Math.round(summary.records / summary.seconds).toLocaleString("en-US")} postings/s)`,
    ],
    ["seed", seedText],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join("\n") + "\n");
}

runMain("sample-generator", main);
