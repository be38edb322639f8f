import { ConfigError } from "@rl/cli";
import type { S3ClientOptions } from "@rl/s3";
import { assertNoMoreArgs } from "../commands";
import type { AugmenterConfig } from "../create-augmenter";
import { CACHE_USAGE } from "./cache-usage";
import { dropCommand } from "./drop-command";
import { exportCommand, restoreCommand } from "./export-command";
import { importCommand } from "./import-command";
import { statsCommand } from "./stats-command";
import { warmCommand } from "./warm-command";

/** The arguments each cache command takes after its name (a file or URI, or none). */
const ARGS_TAKEN: Record<string, number> = { import: 1, export: 1, restore: 1, stats: 0, drop: 0, warm: 0 };

/** `augmenter cache <command>`: administration of the configured cache. */
export async function runCacheCommand(
  o: AugmenterConfig,
  args: string[],
  explicit: { modelVersion: boolean },
  s3: S3ClientOptions,
): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === undefined)
    throw new ConfigError(
      `cache: a command is required\n${CACHE_USAGE}\n(augmenter cache --help lists the options)`,
    );
  const takes = ARGS_TAKEN[sub];
  if (takes !== undefined) assertNoMoreArgs(`cache ${sub}`, rest.slice(takes));
  switch (sub) {
    case "import":
      return importCommand(o, rest, s3);
    case "export":
      return exportCommand(o, rest, s3);
    case "restore":
      return restoreCommand(o, rest, explicit, s3);
    case "stats":
      return statsCommand(o);
    case "drop":
      return dropCommand(o, explicit);
    case "warm":
      return warmCommand(o, s3);
    default:
      throw new ConfigError(`unknown cache command ${JSON.stringify(sub)}\n${CACHE_USAGE}`);
  }
}
