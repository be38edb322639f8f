import { randomUUID } from "node:crypto";
import { open, unlink, type FileHandle } from "node:fs/promises";
import { join } from "node:path";

/** One file on disk that chunks of many files are appended to; freed when none of them needs it. */
interface Segment {
  handle: FileHandle;
  /** Set where the file could not be unlinked while open: unlinked when closed. */
  path: string | undefined;
  end: number;
  /** Spill files with chunks in it. */
  refs: number;
  /** No longer appended to: closed once `refs` is 0. */
  retired: boolean;
}

/** Where a spilled range is. */
export interface SpillRef {
  segment: Segment;
  at: number;
}

/** After an open fails, how long before spilling is tried again. */
const RETRY_OPEN_MS = 10_000;

/**
 * Local disk for chunks that wait on the model (docs/benchmarks/cold-day.md). A file whose
 * first chunks wait writes its output to the spill instead of holding it in memory, and gives up
 * its place among the files being read; once every pair is answered it reads the spill back,
 * splices the digits in and uploads. So a cold backlog reads ahead as far as the disk allows,
 * not as far as MAX_BYTES_IN_FLIGHT does, and the model always has work queued.
 *
 * Chunks of every file are appended to shared segment files of `segmentBytes` (so hundreds of
 * waiting files hold a handful of descriptors); a segment is removed once no file needs it.
 * Each is unlinked as soon as it is opened where the system allows it: the open handle keeps
 * its bytes, and a process that dies leaves nothing behind.
 *
 * `limit` is a soft cap on the bytes of live segments: a file starts spilling only while less
 * than `limit` is in use (and, after the disk filled up once, below 3/4 of what was in use
 * then), and then spills its remaining chunks whole. 0 turns spilling off.
 */
export class SpillSpace {
  private used = 0;
  private files = 0;
  private current: Segment | undefined;
  private opening: Promise<Segment | undefined> | undefined;
  private retryAt = 0;
  private fullAt = Number.POSITIVE_INFINITY;

  constructor(
    readonly dir: string,
    readonly limit: number,
    /**
     * Told when a segment cannot be opened: files about to spill wait in memory (as without
     * spilling) and opening is tried again after RETRY_OPEN_MS; a file already spilling fails.
     */
    private readonly onOpenError: (err: Error) => void = () => {},
    readonly segmentBytes = 64 * 1024 * 1024,
  ) {}

  /** Bytes of live segments on disk now. */
  get inUse(): number {
    return this.used;
  }

  /** Files with a spill open now. */
  get openFiles(): number {
    return this.files;
  }

  /** Whether a file may start spilling now. */
  mayStart(): boolean {
    return (
      this.limit > 0 && this.used < Math.min(this.limit, this.fullAt * 0.75) && Date.now() >= this.retryAt
    );
  }

  /** A spill for one file, or undefined when the disk cannot take one now (the caller goes on in memory). */
  async open(): Promise<SpillFile | undefined> {
    if (!(await this.segmentWithRoom(0))) return undefined;
    this.files += 1;
    return new SpillFile(this);
  }

  /**
   * Reserves `n` bytes at the end of the current segment (a new one when it is full), adding the
   * segment to `holder`'s (in the same turn: a segment no file holds may be removed).
   */
  async reserve(n: number, holder: Set<Segment>): Promise<SpillRef> {
    let segment = await this.segmentWithRoom(n);
    // Freed while this call waited (its last holder let go): take the next one.
    while (segment?.retired) segment = await this.segmentWithRoom(n);
    if (!segment) throw new Error(`cannot open a spill file in SPILL_DIR ${this.dir}`);
    const at = segment.end;
    segment.end += n;
    this.used += n;
    if (!holder.has(segment)) {
      holder.add(segment);
      segment.refs += 1;
    }
    return { segment, at };
  }

  /** Writes `parts` at `ref`; a full disk stops new spills until some are freed. */
  async write(ref: SpillRef, parts: readonly Uint8Array[], n: number): Promise<void> {
    let written = 0;
    try {
      while (written < n) {
        const { bytesWritten } = await ref.segment.handle.writev(
          written === 0 ? [...parts] : [Buffer.concat(parts).subarray(written)],
          ref.at + written,
        );
        written += bytesWritten;
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOSPC") this.fullAt = Math.min(this.fullAt, this.used);
      throw new Error(`spill in SPILL_DIR ${this.dir}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** A spill file is done with `segments`. */
  release(segments: Iterable<Segment>): void {
    for (const s of segments) {
      s.refs -= 1;
      this.closeIfFree(s);
    }
  }

  /** Called by a {@link SpillFile} once, when it closes. */
  fileClosed(): void {
    this.files -= 1;
  }

  private async segmentWithRoom(n: number): Promise<Segment | undefined> {
    for (;;) {
      const c = this.current;
      if (c && (c.end === 0 || c.end + n <= this.segmentBytes)) return c;
      if (c) {
        this.current = undefined;
        c.retired = true;
        this.closeIfFree(c);
      }
      this.opening ??= this.openSegment().finally(() => (this.opening = undefined));
      const opened = await this.opening;
      if (!opened) return undefined;
      // Another caller may have filled it meanwhile: go round again.
    }
  }

  private async openSegment(): Promise<Segment | undefined> {
    const path = join(this.dir, `augmenter-spill-${process.pid}-${randomUUID()}`);
    let handle: FileHandle;
    try {
      handle = await open(path, "wx+", 0o600);
    } catch (err) {
      this.retryAt = Date.now() + RETRY_OPEN_MS;
      this.onOpenError(err as Error);
      return undefined;
    }
    const unlinked = await unlink(path).then(
      () => true,
      () => false,
    );
    const segment: Segment = { handle, path: unlinked ? undefined : path, end: 0, refs: 0, retired: false };
    this.current = segment;
    return segment;
  }

  /** Closes `s` once no file holds it: a retired one, or the current one when nothing in it is needed. */
  private closeIfFree(s: Segment): void {
    if (s.refs > 0) return;
    if (!s.retired) {
      if (s !== this.current || s.end === 0) return;
      this.current = undefined;
      s.retired = true;
    }
    this.used -= s.end;
    if (this.used === 0) this.fullAt = Number.POSITIVE_INFINITY;
    const path = s.path;
    void s.handle
      .close()
      .catch(() => {})
      .then(() => (path ? unlink(path).catch(() => {}) : undefined));
  }
}

/** One file's spill: byte ranges appended to the space's segments, read back by reference. */
export class SpillFile {
  private readonly segments = new Set<Segment>();
  private closed = false;

  constructor(private readonly space: SpillSpace) {}

  /** Appends `parts` back to back; returns where they are. */
  async append(parts: readonly Uint8Array[]): Promise<SpillRef> {
    const n = parts.reduce((sum, p) => sum + p.byteLength, 0);
    const ref = await this.space.reserve(n, this.segments);
    await this.space.write(ref, parts, n);
    return ref;
  }

  /** `length` bytes at `ref`, in a buffer of their own (offset 0, so typed views align). */
  async read(ref: SpillRef, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafeSlow(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await ref.segment.handle.read(buf, got, length - got, ref.at + got);
      if (bytesRead === 0) throw new Error(`spill ended at ${ref.at + got} of ${ref.at + length}`);
      got += bytesRead;
    }
    return buf;
  }

  /** Gives its ranges back to the space; safe to call twice. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.space.release(this.segments);
    this.space.fileClosed();
  }
}
