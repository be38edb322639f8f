import { option } from "@rl/cli";

/** Options only the `cache` and `files` commands take (commands.ts says which takes which). */
export const ADMIN_COMMAND_OPTIONS = {
  importFormat: option.oneOf(
    "format",
    "cache import: row format (auto: from the file name)",
    ["auto", "jsonl", "csv", "tsv"] as const,
    { default: "auto" },
  ),
  overwrite: option.boolean(
    "overwrite",
    "cache import: replace an existing different value (default: keep it, count a conflict)",
    { default: false },
  ),
  maxBadFraction: option.number("max-bad-fraction", "cache import: fail when bad rows exceed this fraction", {
    default: 0.01,
    min: 0,
    max: 1,
  }),
  warmFrom: option.optionalString(
    "from",
    "cache warm: the historic raw inputs to read (s3://bucket/prefix/ or a directory)",
  ),
  since: option.number(
    "since",
    "cache warm: only inputs named by a Unix timestamp at or after this (0: all)",
    { default: 0, integer: true, min: 0 },
  ),
  metricsUrl: option.optionalString(
    "metrics-url",
    "cache stats: a running service's /metrics URL, for its hit ratios",
  ),
  all: option.boolean("all", "files retry: every file in the failed set", { default: false }),
};
