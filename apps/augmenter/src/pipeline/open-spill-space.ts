import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import type { Logger } from "pino";
import { ConfigError } from "@rl/cli";
import { SpillSpace } from "./spill";

/**
 * The spill space SPILL_DIR and SPILL_MAX_BYTES name, checked before any file is read (a
 * directory that cannot be written is a configuration error, not a slow run); undefined
 * when SPILL_MAX_BYTES is 0.
 */
export async function openSpillSpace(
  o: { spillDir: string | undefined; spillMaxBytes: number },
  log: Pick<Logger, "warn">,
): Promise<SpillSpace | undefined> {
  if (o.spillMaxBytes === 0) return undefined;
  const dir = o.spillDir ?? tmpdir();
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error("not a directory");
    await access(dir, constants.W_OK);
  } catch (err) {
    throw new ConfigError(
      `--spill-dir / SPILL_DIR: ${dir} is not a writable directory (${(err as Error).message}); name one, or set SPILL_MAX_BYTES=0 to keep chunks waiting on the model in memory`,
    );
  }
  return new SpillSpace(dir, o.spillMaxBytes, (err) =>
    log.warn(
      { spillDir: dir, error: err.message },
      "cannot open a spill file; files waiting on the model wait in memory (within MAX_BYTES_IN_FLIGHT) until one can be opened",
    ),
  );
}
