import { option } from "@rl/cli";

export const GENERATOR_CLI_OPTIONS = {
  total: option.number("total", "Postings to generate in all", {
    env: "GEN_TOTAL",
    default: 200_000,
    integer: true,
    min: 1,
  }),
  split: option.number("split", "Postings per file (files are named one minute apart)", {
    env: "GEN_SPLIT",
    default: 10_000,
    integer: true,
    min: 1,
  }),
  out: option.string(
    "out",
    "Where to write: s3://bucket/prefix/, file:///dir/ or a directory. The default's .data/ is the data directory (--data-dir), not the working directory",
    {
      env: "GEN_OUT",
      default: ".data/job-postings-raw/",
    },
  ),
  dataDir: option.optionalString(
    "data-dir",
    "Where the default --out lives (<dir>/job-postings-raw/), whatever the working directory (default: the checkout's .data/ when run from it, else $XDG_DATA_HOME/seniority-augmenter)",
    { env: "DATA_DIR" },
  ),
  s3Endpoint: option.optionalUrl("s3-endpoint", "Custom S3 endpoint (MinIO, s3rver); implies path-style", {
    env: "S3_ENDPOINT",
    schemes: ["http", "https"],
  }),
  seed: option.optionalString(
    "seed",
    "Seed: the same seed (and --start-time) gives the same bytes; also fixes --start-time",
    { env: "GEN_SEED" },
  ),
  startTime: option.number(
    "start-time",
    "Unix seconds of the first file's name (default: now minus the run's minutes; 1721183880 with --seed)",
    {
      env: "GEN_START_TIME",
      default: 0,
      integer: true,
      min: 0,
      max: 9_999_999_999,
    },
  ),
  companies: option.number("companies", "Company vocabulary size", {
    env: "GEN_COMPANIES",
    default: 20_000,
    integer: true,
    min: 1,
  }),
  titles: option.number("titles", "Title vocabulary size", {
    env: "GEN_TITLES",
    default: 5_000,
    integer: true,
    min: 1,
  }),
  titlesPerCompany: option.number(
    "titles-per-company",
    "Titles posted by the most active company (company k posts ~this/sqrt(k+1)); lower means fewer distinct pairs",
    {
      env: "GEN_TITLES_PER_COMPANY",
      default: 400,
      integer: true,
      min: 1,
    },
  ),
  zipf: option.number(
    "zipf",
    "Popularity skew (Zipf exponent) of companies; higher means fewer distinct pairs",
    {
      env: "GEN_ZIPF",
      default: 1.0,
      min: 0,
      max: 5,
    },
  ),
  variantRate: option.number(
    "variant-rate",
    "Fraction of postings with a near-duplicate company or title (spacing, case, Unicode form)",
    {
      env: "GEN_VARIANT_RATE",
      default: 0.01,
      min: 0,
      max: 1,
    },
  ),
  badRate: option.number(
    "bad-rate",
    "Fraction of records replaced by hostile ones (malformed JSON, missing fields, CRLF, BOM, multi-line, ...)",
    {
      env: "GEN_BAD_RATE",
      default: 0,
      min: 0,
      max: 1,
    },
  ),
  longLineBytes: option.number("long-line-bytes", "Size of the padding field in hostile long lines", {
    env: "GEN_LONG_LINE_BYTES",
    default: 1_048_576,
    integer: true,
    min: 0,
  }),
  gzip: option.boolean("gzip", "Write .jsonl.gz files", { env: "GEN_GZIP", default: false }),
  json: option.boolean("json", "Print the summary as JSON", { default: false }),
};
