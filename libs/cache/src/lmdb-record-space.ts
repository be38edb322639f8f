import { readFileSync, readdirSync, rmSync } from "node:fs";
import { makeDirectory } from "@rl/cli";
import { join } from "node:path";
import { open, type RootDatabase } from "lmdb";
import type { RecordSpace, RecordTxn } from "./record-space";

/** This boot's id (Linux), so state from before a crash is never read; "default" elsewhere. */
function bootId(): string {
  try {
    return (
      readFileSync("/proc/sys/kernel/random/boot_id", "utf8")
        .trim()
        .replace(/[^\w-]/g, "") || "default"
    );
  } catch {
    return "default";
  }
}

/**
 * A {@link RecordSpace} in its own LMDB environment (LMDB serialises writers across processes
 * with its lock file). Opened with `noSync`: a commit is a write into the page cache, which every
 * process maps, with no fsync (measured here: a 1-key transaction 0.04 ms instead of 1.6 ms, a
 * 1,000-key claim 3.5 ms instead of 9.5 ms). A machine crash can then leave the environment
 * damaged, so it lives in a directory per boot and earlier boots' directories are deleted: no
 * process of an earlier boot holds anything any more.
 */
export class LmdbRecordSpace implements RecordSpace {
  readonly description: string;
  private readonly txn: RecordTxn;

  private constructor(
    private readonly root: RootDatabase<unknown, string>,
    path: string,
  ) {
    this.description = `lmdb://${path}`;
    this.txn = {
      get: (key) => root.get(key),
      put: (key, value) => void root.putSync(key, value),
      remove: (key) => void root.removeSync(key),
    };
  }

  /** Opens (or creates) the space under `base`, in this boot's directory. */
  static open(base: string): LmdbRecordSpace {
    const boot = bootId();
    makeDirectory(base);
    for (const d of readdirSync(base))
      if (d !== boot) rmSync(join(base, d), { recursive: true, force: true, maxRetries: 2 });
    const path = join(base, boot);
    makeDirectory(path);
    return new LmdbRecordSpace(open<unknown, string>({ path, noSync: true }), path);
  }

  update<T>(fn: (txn: RecordTxn) => T): T {
    return this.root.transactionSync(() => fn(this.txn)) as T;
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}
