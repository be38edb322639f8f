import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { ObjectHead, ObjectInfo, ObjectStore, PutOptions } from "@rl/s3";

interface Stored {
  body: Buffer;
  etag: string;
  metadata: Record<string, string>;
  lastModified: Date;
}

/**
 * An object store in memory, for tests: whole or nothing like the real ones (a body that fails
 * while it is read leaves the previous object, or none), so a file processor's failure path can
 * be checked without a directory or a server.
 */
export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, Stored>();

  constructor(
    readonly location = "memory://test/",
    /** Reads come in pieces of this size, as a network stream's do. */
    private readonly readChunkBytes = 64 * 1024,
  ) {}

  async *list(options: { startAfter?: string } = {}): AsyncIterable<ObjectInfo> {
    const keys = [...this.objects.keys()].sort();
    for (const key of keys) {
      if (options.startAfter !== undefined && key <= options.startAfter) continue;
      const o = this.objects.get(key);
      if (o) yield { key, size: o.body.length, etag: o.etag, lastModified: o.lastModified };
    }
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    const o = this.objects.get(key);
    return o && { size: o.body.length, etag: o.etag, metadata: { ...o.metadata } };
  }

  async get(key: string): Promise<Readable> {
    const o = this.objects.get(key);
    if (!o) throw new Error(`${this.location}${key}: no such object`);
    const pieces: Buffer[] = [];
    for (let i = 0; i < o.body.length; i += this.readChunkBytes)
      pieces.push(o.body.subarray(i, i + this.readChunkBytes));
    return Readable.from(pieces);
  }

  async put(
    key: string,
    body: Readable | Buffer | string,
    options: PutOptions = {},
  ): Promise<{ etag: string }> {
    let bytes: Buffer;
    if (body instanceof Readable) {
      const parts: Buffer[] = [];
      for await (const part of body) parts.push(Buffer.from(part as Buffer));
      bytes = Buffer.concat(parts);
    } else bytes = Buffer.from(body);
    const etag = createHash("md5").update(bytes).digest("hex");
    this.objects.set(key, { body: bytes, etag, metadata: { ...options.metadata }, lastModified: new Date() });
    return { etag };
  }

  async delete(key: string): Promise<void> {
    this.objects.delete(key);
  }

  async probe(): Promise<void> {}

  /** The object's body, or undefined when there is none. */
  bytes(key: string): Buffer | undefined {
    return this.objects.get(key)?.body;
  }

  /** The object's body as text, or undefined when there is none. */
  text(key: string): string | undefined {
    return this.objects.get(key)?.body.toString("utf8");
  }
}
