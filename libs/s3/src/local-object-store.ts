import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream, type BigIntStats, type Stats } from "node:fs";
import { open, readFile, readdir, rename, rm, stat, writeFile, type FileHandle } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { makeDirectory } from "@rl/cli";
import {
  assertSafeKey,
  handingOverChunks,
  handsOverChunks,
  releaseChunk,
  type ObjectHead,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
} from "./object-store";

const META_SUFFIX = ".meta.json";
const TMP_DIR = ".tmp";

/**
 * A local file's ETag: 32 hex digits (the shape of S3's) of SHA-256 over its size and its
 * modification and status-change times in nanoseconds: the identity of one version of the file,
 * read from its stat. Not a content hash: hashing a file placed by hand on every listing read
 * every input twice (0.6 s of a 3.3 s warm run over 215 MB, and in `serve` the whole look-back
 * window again on every poll), and hashing every output cost the main thread a twentieth of the
 * warm path (issue 15). The status-change time (ctime) is what makes it safe: any write, rename
 * or `utimes` sets it to now and nothing sets it back, so a file rewritten in place with its
 * old size and modification time restored (`cp -p`, `rsync --inplace -t`), or a new file in the
 * place of a deleted one, is a new version. No inode number: some mounts (sshfs, CIFS) do not
 * keep them stable. The same bytes written again, copied in, or only `chmod`ed are a new
 * version too, processed again (from the warm cache).
 *
 * Times are as fine as the file system keeps them: a kernel tick (1–4 ms) before Linux 6.13, a
 * second on ext3, HFS+ and some FUSE mounts. Two same-size writes within one tick share an
 * ETag. A file placed by hand is listed only once it has been quiet for `settleMs` (2 s), so a
 * later rewrite of a version already listed lands in a later tick; writes through `put` within
 * one tick of each other are not told apart.
 */
export function localFileEtag(s: Pick<BigIntStats, "size" | "mtimeNs" | "ctimeNs">): string {
  return createHash("sha256").update(`${s.size}:${s.mtimeNs}:${s.ctimeNs}`).digest("hex").slice(0, 32);
}

/**
 * The contents a side file belongs to: size and modification time, without the status-change
 * time, so that a `chmod`, a hard link or a backup tool's `utimes` on an output keeps its
 * metadata (its `source-etag` is what marks an input done), while new bytes written over it (a
 * new modification time) lose it.
 */
const contentStamp = (s: Pick<BigIntStats, "size" | "mtimeNs">) => `${s.size}:${s.mtimeNs}`;

/** What `put` writes beside a file: the stamp of the contents it wrote, their ETag then, and their metadata. */
interface SideFile {
  stamp: string;
  etag: string;
  metadata: Record<string, string>;
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
 * `<key>.meta.json` side file that names the version it belongs to (ignored once the file is
 * rewritten by hand); the ETag identifies the file's version (see {@link localFileEtag}).
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
      const { size, etag } = await this.headOf(this.path(key), s);
      yield { key, size, etag, lastModified: s.mtime };
    }
  }

  /**
   * The keys (in order) whose files are whole, with their stat: written by this store, or quiet
   * for `settleMs`.
   */
  private async settled(keys: string[]): Promise<Array<[string, BigIntStats]>> {
    const found: Array<[string, BigIntStats]> = [];
    const young = new Map<string, BigIntStats>();
    const now = this.clock.now();
    for (const key of keys) {
      const path = this.path(key);
      const s = await statOrUndefined(path, { bigint: true });
      if (!s?.isFile()) continue;
      // Not young: quiet long enough, or written by `put` as it is now (its side file says so).
      if (
        this.settleMs > 0 &&
        now - Number(s.mtimeMs) < this.settleMs &&
        (await this.metadataOf(path, s)) === undefined
      ) {
        young.set(key, s);
      }
      found.push([key, s]);
    }
    if (young.size === 0) return found;
    // One wait for all of them, capped (a clock skewed into the future must not stall listing).
    const newest = Math.max(...[...young.values()].map((s) => Number(s.mtimeMs)));
    await this.clock.sleep(Math.min(this.settleMs, newest + this.settleMs - now));
    const quiet = new Map<string, BigIntStats>();
    for (const [key, before] of young) {
      const s = await statOrUndefined(this.path(key), { bigint: true });
      if (s && s.mtimeNs === before.mtimeNs && s.size === before.size) quiet.set(key, s);
    }
    return found.flatMap(([key, s]): Array<[string, BigIntStats]> => {
      if (!young.has(key)) return [[key, s]];
      const after = quiet.get(key);
      return after ? [[key, after]] : [];
    });
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    const path = this.path(key);
    const s = await statOrUndefined(path, { bigint: true });
    return s?.isFile() ? this.headOf(path, s) : undefined;
  }

  /** The head of the file at `path`, whose stat is `s`. */
  private async headOf(path: string, s: BigIntStats): Promise<ObjectHead> {
    return { size: Number(s.size), etag: localFileEtag(s), metadata: (await this.metadataOf(path, s)) ?? {} };
  }

  /**
   * The metadata of the side file `put` wrote for the contents `s` describes, or none when `put`
   * did not write the file as it is now: a file placed by hand has no side file, and one whose
   * stamp is not the file's describes other contents (the file was rewritten by hand since, or
   * `put` stopped between moving the file into place and writing its side file).
   */
  private async metadataOf(path: string, s: BigIntStats): Promise<Record<string, string> | undefined> {
    let side: Partial<SideFile> | null;
    try {
      side = JSON.parse(await readFile(path + META_SUFFIX, "utf8")) as Partial<SideFile> | null;
    } catch (err) {
      // Not one this store wrote: none there, a directory by that name, or text that is not JSON.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "EISDIR" || err instanceof SyntaxError) return undefined;
      throw err;
    }
    return typeof side === "object" && side !== null && side.stamp === contentStamp(s)
      ? (side.metadata ?? {})
      : undefined;
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
      await pipeline(source, handsOverChunks(source) ? releasingFileWriter(tmp) : createWriteStream(tmp));
      makeDirectory(dirname(target));
      await rename(tmp, target);
      // After the rename, which sets the status-change time. The side file follows, moved into
      // place whole too: until it is there (or if this process stops first) the file reads as
      // one without metadata, not as the new bytes with the old version's metadata. (Two puts
      // of one key at once may still cross: each stats whichever bytes are in place. The
      // service never has two writers of one output version; two versions of one input
      // processed at once by two workers could.)
      const s = await stat(target, { bigint: true });
      const side: SideFile = {
        stamp: contentStamp(s),
        etag: localFileEtag(s),
        metadata: options.metadata ?? {},
      };
      await writeFile(tmp, JSON.stringify(side));
      await rename(tmp, target + META_SUFFIX);
      return { etag: side.etag };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
    await rm(this.path(key) + META_SUFFIX, { force: true });
  }

  /** Whether the store's directory exists (a store whose directory does not lists nothing). */
  async exists(): Promise<boolean> {
    return (await statOrUndefined(this.root))?.isDirectory() === true;
  }

  /** A directory not created yet answers (listing it finds nothing, writing creates it). */
  async probe(): Promise<void> {
    const s = await statOrUndefined(this.root);
    if (s && !s.isDirectory()) throw new Error(`${this.location} is not a directory`);
  }
}

/**
 * A file writer for a body marked by `handingOverChunks` (the service's outputs): it frees each
 * chunk's memory as soon as the chunk is on disk (`releaseChunk`), where a file stream would
 * leave it for the garbage collector. One write at a time, each written whole.
 */
function releasingFileWriter(path: string): Writable {
  let fh: FileHandle | undefined;
  return new Writable({
    highWaterMark: 1 << 20,
    construct(done) {
      open(path, "w").then((h) => {
        fh = h;
        done();
      }, done);
    },
    write(chunk: Buffer, _encoding, done) {
      // A stream never passes on an empty chunk: this one was freed while queued, by a producer
      // that broke the marker's promise. Failing beats a write that never finishes.
      if (chunk.byteLength === 0)
        return done(new Error("a handed-over chunk was freed before it was written (internal error)"));
      writeAll(fh as FileHandle, chunk).then(() => {
        releaseChunk(chunk);
        done();
      }, done);
    },
    final(done) {
      const h = fh as FileHandle;
      fh = undefined;
      h.close().then(() => done(), done);
    },
    destroy(err, done) {
      const h = fh;
      fh = undefined;
      if (!h) return done(err);
      h.close().then(
        () => done(err),
        () => done(err),
      );
    },
  });
}

async function writeAll(fh: FileHandle, bytes: Buffer): Promise<void> {
  for (let at = 0; at < bytes.length;) {
    const { bytesWritten } = await fh.write(bytes, at, bytes.length - at);
    if (bytesWritten <= 0)
      throw new Error(`writing a file: no progress after ${at} of ${bytes.length} bytes`);
    at += bytesWritten;
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
