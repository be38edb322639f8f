import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import {
  assertSafeKey,
  type ObjectHead,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
} from "./object-store";

const META_SUFFIX = ".meta.json";
const TMP_DIR = ".tmp";

/**
 * An object store over a local directory, for local runs and tests. Writes go to a temp file
 * and are renamed into place, so readers never see a partial object. Metadata lives in a
 * `<key>.meta.json` side file; the ETag is the MD5 of the content, as S3's single-part one.
 */
export class LocalObjectStore implements ObjectStore {
  readonly location: string;
  private readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.location = pathToFileURL(this.root + sep).href;
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
    for (const key of keys) {
      if (options.startAfter !== undefined && key <= options.startAfter) continue;
      const info = await this.head(key);
      if (!info) continue;
      const s = await stat(this.path(key));
      yield { key, size: info.size, etag: info.etag, lastModified: s.mtime };
    }
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    try {
      const meta = JSON.parse(await readFile(this.path(key) + META_SUFFIX, "utf8")) as {
        etag: string;
        metadata: Record<string, string>;
      };
      const s = await stat(this.path(key));
      return { size: s.size, etag: meta.etag, metadata: meta.metadata };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    try {
      const s = await stat(this.path(key));
      // A file placed by hand: derive its ETag from its content.
      const hash = createHash("md5");
      await pipeline(createReadStream(this.path(key)), hash);
      return { size: s.size, etag: hash.digest("hex"), metadata: {} };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  async get(key: string): Promise<Readable> {
    const p = this.path(key);
    await stat(p); // fail here, with ENOENT, rather than on the stream's first read
    return createReadStream(p);
  }

  async put(
    key: string,
    body: Readable | Buffer | string,
    options: PutOptions = {},
  ): Promise<{ etag: string }> {
    const target = this.path(key);
    const tmpDir = join(this.root, TMP_DIR);
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, randomUUID());
    const hash = createHash("md5");
    try {
      const source =
        typeof body === "string" || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(tmp),
      );
      const etag = hash.digest("hex");
      await mkdir(dirname(target), { recursive: true });
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
}
