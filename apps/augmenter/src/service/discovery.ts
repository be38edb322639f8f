import type { ObjectInfo, ObjectStore } from "@rl/s3";
import { isOutputDone } from "../ledger/output-ledger";

/** Inputs are top-level `.jsonl` / `.jsonl.gz` objects; anything else is ignored and reported. */
export const INPUT_KEY = /^[^/]+\.jsonl(\.gz)?$/;

export interface Listing {
  pending: ObjectInfo[];
  ignored: string[];
  done: number;
}

/**
 * Finds the inputs that have no current output, by the output ledger's rule (see
 * `ledger/output-ledger.ts`). Known-done (key, ETag) pairs are remembered to save HEADs.
 * Listing starts `lookbackSeconds` before the newest timestamp-named input seen, so late files
 * with older names are still found without listing the whole history each pass.
 */
export class Discovery {
  private readonly doneEtags = new Map<string, string>();
  private highWater = 0;

  constructor(
    private readonly raw: ObjectStore,
    private readonly mod: ObjectStore,
    private readonly lookbackSeconds: number,
  ) {}

  markDone(key: string, etag: string): void {
    this.doneEtags.set(key, etag);
    const ts = Number.parseInt(key, 10);
    if (Number.isFinite(ts) && /^\d+\./.test(key)) this.highWater = Math.max(this.highWater, ts);
  }

  /** Whether the output for this version of the input exists now (one HEAD unless remembered). */
  async isDone(key: string, etag: string): Promise<boolean> {
    if (this.doneEtags.get(key) === etag) return true;
    if (!(await isOutputDone(this.mod, key, etag))) return false;
    this.markDone(key, etag);
    return true;
  }

  async list(): Promise<Listing> {
    const startAfter = this.highWater > 0 ? String(this.highWater - this.lookbackSeconds) : undefined;
    const opts = startAfter === undefined ? {} : { startAfter };
    const outputs = new Set<string>();
    for await (const o of this.mod.list(opts)) outputs.add(o.key);
    const pending: ObjectInfo[] = [];
    const ignored: string[] = [];
    let done = 0;
    for await (const o of this.raw.list(opts)) {
      if (!INPUT_KEY.test(o.key)) {
        ignored.push(o.key);
        continue;
      }
      if (this.doneEtags.get(o.key) === o.etag) {
        done += 1;
        continue;
      }
      if (outputs.has(o.key) && (await this.isDone(o.key, o.etag))) {
        done += 1;
        continue;
      }
      pending.push(o);
    }
    pending.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.prune();
    return { pending, ignored, done };
  }

  /** Forgets done files that listing no longer reaches, so a long-running service stays bounded. */
  private prune(): void {
    if (this.highWater === 0) return;
    const horizon = this.highWater - this.lookbackSeconds;
    for (const key of this.doneEtags.keys()) {
      if (/^\d+\./.test(key) && Number.parseInt(key, 10) < horizon) this.doneEtags.delete(key);
    }
  }

  /** Done files remembered (for tests and metrics). */
  get remembered(): number {
    return this.doneEtags.size;
  }
}
