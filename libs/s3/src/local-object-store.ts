import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, type BigIntStats, type Stats } from "node:fs";
import { readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { makeDirectory } from "@rl/cli";
import {
  assertSafeKey,
  handingOverChunks,
  type ObjectHead,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
} from "./object-store";

const META_SUFFIX = ".meta.json";
const TMP_DIR = ".tmp";

/**
 * A local file's ETag: 32 hex digits (the shape of S3's) of SHA-256 over its inode number, size
 * and modification time in nanoseconds, the identity of one version of the file (rsync's quick
 * check, plus the inode, which a store write, renamed into place, always changes). Not a content
 * hash: hashing a file placed by hand on every listing read every input twice (0.6 s of a 3.3 s
 * warm run over 215 MB, and in `serve`, the whole directory again on every poll), and hashing
 * every output cost the main thread a twentieth of the warm path (issue 15). A file rewritten
 * in place gets a new ETag from its new modification time; the same bytes copied elsewhere (a
 * new inode) are a new version, processed again.
 */
export function localFileEtag(s: Pick<BigIntStats, "ino" | "size" | "mtimeNs">): string {
  return createHash("sha256").update(`${s.ino}:${s.size}:${s.mtimeNs}`).digest("hex").slice(0, 32);
}

/** Time as the settle rule sees it; a fake one makes the rule testable without waiting. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface LocalObjectStoreOptions {
  /**
   * A file placed in the directory by something other than this store is listed only once it
   * has not changed for this long: a file still being copied or appended to is not an input
   * yet. 0 lists every file as soon as it appears.
   * @default 2000
   */
  settleMs?: number;
  /** @default the system clock */
  clock?: Clock;
}

export const DEFAULT_LOCAL_OBJECT_STORE_OPTIONS = { settleMs: 2000 } as const;

/**
 * An object store over a local directory, for local runs and tests. Writes go to a temp file
 * and are renamed into place, so readers never see a partial object. Metadata lives in a
 * `<key>.meta.json` side file (ignored once the file is rewritten by hand: it describes an earlier
 * version); the ETag identifies the file's version (see {@link localFileEtag}).
 *
 * Files written by hand get no such guarantee, so listing applies a settle rule to them: a file
 * modified less than `settleMs` ago is waited for (once per listing, at most `settleMs`) and
 * left out if it changed meanwhile; a later listing offers it once it is quiet. Without the rule
 * a poll would process each partial version of a file being written (each has a new ETag).
 */
export class LocalObjectStore implements ObjectStore {
  readonly location: string;
  private readonly root: string;
  private readonly settleMs: number;
  private readonly clock: Clock;

  constructor(root: string, options: LocalObjectStoreOptions = {}) {
    this.root = resolve(root);
    this.location = pathToFileURL(this.root + sep).href;
    this.settleMs = options.settleMs ?? DEFAULT_LOCAL_OBJECT_STORE_OPTIONS.settleMs;
    this.clock = options.clock ?? systemClock;
  }

  private path(key: string): string {
    assertSafeKey(key, this.location);
    const p = resolve(this.root, key);
    if (!p.startsWith(this.root + sep))
      throw new Error(`object key ${JSON.stringify(key)} escapes ${this.location}`);
    return p;
  }

  async *list(options: { startAfter?: string } = {}): AsyncIterable<ObjectInfo> {
    const keys: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
        throw err;
      }
      for (const e of entries) {
        const full = join(dir, e.name);
        if (e.isDirectory()) {
          if (!(dir === this.root && e.name === TMP_DIR)) await walk(full);
        } else if (e.isFile() && !e.name.endsWith(META_SUFFIX)) {
          keys.push(relative(this.root, full).split(sep).join("/"));
        }
      }
    };
    await walk(this.root);
    keys.sort();
    const settled = await this.settled(
      keys.filter((k) => options.startAfter === undefined || k > options.startAfter),
    );
    for (const [key, s] of settled) {
      const info = await this.head(key);
      if (!info) continue;
      yield { key, size: info.size, etag: info.etag, lastModified: s.mtime };
    }
  }

  /** The keys (in order) whose files are whole: written by this store, or quiet for `settleMs`. */
  private async settled(keys: string[]): Promise<Array<[string, Stats]>> {
    const found: Array<[string, Stats]> = [];
    const young = new Map<string, Stats>();
    const now = this.clock.now();
    for (const key of keys) {
      const s = await statOrUndefined(this.path(key));
      if (!s) continue;
      if (this.settleMs > 0 && now - s.mtimeMs < this.settleMs && !(await this.writtenWhole(key, s))) {
        young.set(key, s);
      }
      found.push([key, s]);
    }
    if (young.size === 0) return found;
    // One wait for all of them, capped (a clock skewed into the future must not stall listing).
    const newest = Math.max(...[...young.values()].map((s) => s.mtimeMs));
    await this.clock.sleep(Math.min(this.settleMs, newest + this.settleMs - now));
    const quiet = new Set<string>();
    for (const [key, before] of young) {
      const s = await statOrUndefined(this.path(key));
      if (s && s.mtimeMs === before.mtimeMs && s.size === before.size) quiet.add(key);
    }
    return found.filter(([key]) => !young.has(key) || quiet.has(key));
  }

  /**
   * Whether `put` wrote this file: it renames the file into place whole, after writing the side
   * file, so the side file is never older than the content it describes.
   */
  private async writtenWhole(key: string, s: Stats): Promise<boolean> {
    const meta = await statOrUndefined(this.path(key) + META_SUFFIX);
    return meta !== undefined && meta.mtimeMs >= s.mtimeMs;
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    const path = this.path(key);
    const s = await statOrUndefined(path, { bigint: true });
    if (!s?.isFile()) return undefined;
    return { size: Number(s.size), etag: localFileEtag(s), metadata: await this.metadataOf(path, s) };
  }

  /**
   * The metadata `put` stored beside the file, or none: a file placed by hand has no side file,
   * and a side file older than the content describes a version since rewritten by hand.
   */
  private async metadataOf(path: string, s: BigIntStats): Promise<Record<string, string>> {
    try {
      const meta = await statOrUndefined(path + META_SUFFIX, { bigint: true });
      if (!meta || meta.mtimeNs < s.mtimeNs) return {};
      const side = JSON.parse(await readFile(path + META_SUFFIX, "utf8")) as {
        metadata?: Record<string, string>;
      };
      return side.metadata ?? {};
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw err;
    }
  }

  async get(key: string): Promise<Readable> {
    const p = this.path(key);
    await stat(p); // fail here, with ENOENT, rather than on the stream's first read
    // Reads of 256 KiB rather than the default 64: a quarter of the reads (and of the per-chunk
    // work downstream) on the warm path, still well under the smallest byte budget (1 MiB).
    return handingOverChunks(createReadStream(p, { highWaterMark: 256 * 1024 }));
  }

  async put(
    key: string,
    body: Readable | Buffer | string,
    options: PutOptions = {},
  ): Promise<{ etag: string }> {
    const target = this.path(key);
    const tmpDir = join(this.root, TMP_DIR);
    makeDirectory(tmpDir);
    const tmp = join(tmpDir, randomUUID());
    try {
      const source =
        typeof body === "string" || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
      await pipeline(source, createWriteStream(tmp));
      // Renamed within one file system: the inode and modification time, so the ETag, carry over.
      const etag = localFileEtag(await stat(tmp, { bigint: true }));
      makeDirectory(dirname(target));
      await writeFile(target + META_SUFFIX, JSON.stringify({ etag, metadata: options.metadata ?? {} }));
      await rename(tmp, target);
      return { etag };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
    await rm(this.path(key) + META_SUFFIX, { force: true });
  }

  /** A directory not created yet answers (listing it finds nothing, writing creates it). */
  async probe(): Promise<void> {
    const s = await statOrUndefined(this.root);
    if (s && !s.isDirectory()) throw new Error(`${this.location} is not a directory`);
  }
}

async function statOrUndefined(path: string): Promise<Stats | undefined>;
async function statOrUndefined(path: string, o: { bigint: true }): Promise<BigIntStats | undefined>;
async function statOrUndefined(path: string, o?: { bigint: true }): Promise<Stats | BigIntStats | undefined> {
  try {
    return o ? await stat(path, o) : await stat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
