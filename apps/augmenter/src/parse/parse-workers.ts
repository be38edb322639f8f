import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { ParseSession, ParseStage } from "./parse-stage";
import type { ParseOptions, ParsedChunk, ParsedEnd } from "./parsed-chunk";

/** A request about file session `id` that the worker answers (a push, cut or end), before it is numbered. */
type Asked =
  | { op: "push"; id: number; file: string; bytes: ArrayBuffer }
  | { op: "cut" | "end"; id: number; file: string };

/** What the main thread asks a parse worker; `req` numbers a request the worker answers. */
export type WorkerRequest =
  | (Asked & { req: number })
  /** Never answered. */
  | { op: "drop"; id: number }
  | { op: "learn"; seq: number; values?: Uint8Array };

/** A worker's answer to request `req` (a push, cut or end). */
export type WorkerReply =
  | { req: number; ok: true; chunks: ParsedChunk[]; blankLines?: number; distinctPairs?: number }
  | { req: number; ok: false; message: string; stack?: string };

interface Waiter {
  resolve(reply: Extract<WorkerReply, { ok: true }>): void;
  reject(err: Error): void;
}

/**
 * How to start a parse worker. Built, it is `parse-worker.js` beside the bundle's chunks. From
 * the sources (tsx, vitest) it is `parse-worker.ts`, which a worker cannot load by itself: tsx's
 * loader does not reach worker threads (Node 20 and 24), so a two-line bootstrap registers it
 * in the worker first.
 */
function workerScript(): { script: string | URL; eval: boolean } {
  if (!import.meta.url.endsWith(".ts"))
    return { script: new URL("./parse-worker.js", import.meta.url), eval: false };
  // tsx's ESM API by path: resolving `tsx/esm/api` from here picks its CommonJS build, which cannot register.
  const tsxPackage = createRequire(import.meta.url).resolve("tsx/package.json");
  const tsx = new URL("dist/esm/api/index.mjs", pathToFileURL(tsxPackage)).href;
  const worker = new URL("./parse-worker.ts", import.meta.url).href;
  return {
    script: `import(${JSON.stringify(tsx)}).then((t) => { t.register(); return import(${JSON.stringify(worker)}); });`,
    eval: true,
  };
}

/** One worker thread, its open sessions and the answers it owes, by request number. */
class ParseThread {
  readonly worker: Worker;
  sessions = 0;
  private readonly waiting = new Map<number, Waiter>();
  private nextReq = 1;
  failure: Error | undefined;

  constructor(options: ParseOptions, onGone: (t: ParseThread) => void) {
    const { script, eval: isCode } = workerScript();
    this.worker = new Worker(script, {
      eval: isCode,
      workerData: options,
      // V8's default young generation (48 MiB) cost ~40 MiB of RSS a thread and saved no
      // measurable CPU over 16 on the warm benchmark (issue 15).
      resourceLimits: { maxYoungGenerationSizeMb: 16 },
    });
    this.worker.unref();
    // Matched by number, not by order: an answer can only ever reach the call that asked for it.
    this.worker.on("message", (reply: WorkerReply) => {
      const w = this.waiting.get(reply.req);
      if (!w) return;
      this.waiting.delete(reply.req);
      if (this.waiting.size === 0) this.worker.unref();
      if (reply.ok) w.resolve(reply);
      else w.reject(Object.assign(new Error(reply.message), { stack: reply.stack }));
    });
    const fail = (err: Error) => {
      if (this.failure) return;
      this.failure = new Error(`a parse worker stopped: ${err.message}`, { cause: err });
      for (const w of this.waiting.values()) w.reject(this.failure);
      this.waiting.clear();
      onGone(this);
    };
    this.worker.on("error", fail);
    this.worker.on("exit", (code) => fail(new Error(`exited with code ${code}`)));
  }

  ask(request: Asked, transfer: ArrayBuffer[] = []): Promise<Extract<WorkerReply, { ok: true }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const req = this.nextReq++;
      // Sent first, waited for after: a request that cannot be sent leaves no waiter behind.
      this.worker.postMessage({ ...request, req }, transfer);
      // Referenced while it owes an answer: a pending parse keeps the process alive, an idle pool does not.
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(req, { resolve, reject });
    });
  }

  tell(request: WorkerRequest): void {
    if (!this.failure) this.worker.postMessage(request);
  }
}

/**
 * An ArrayBuffer holding `bytes` alone, to move to the worker: their own when they span all of it
 * and the caller says nothing else reads them again (`movable`), else a copy. A source may still
 * hold the buffer it handed out (a memory store's body, a pooled slice), and moving it would
 * empty it there. The copy was 5% of the warm path's wall time.
 */
function ownBuffer(bytes: Buffer, movable: boolean): ArrayBuffer {
  const whole =
    bytes.buffer instanceof ArrayBuffer &&
    bytes.byteOffset === 0 &&
    bytes.byteLength === bytes.buffer.byteLength;
  if (movable && whole) return bytes.buffer;
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
}

/**
 * Parses files on worker threads, so reading, parsing and splicing use the other cores while
 * the main thread keeps I/O, the cache and the model's scheduler. A file stays on one thread
 * (its parser holds the line cut between two reads); each new file goes to the thread with the
 * fewest open files. Threads start with {@link start} or when first needed; one that dies
 * fails its files only and is replaced by the next file that opens.
 */
export class ParseWorkers implements ParseStage {
  private readonly threads: ParseThread[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly options: ParseOptions,
    readonly size: number,
    /** Told when a thread stops while the pool is open (it crashed or ran out of heap), with the files it failed. */
    private readonly onThreadLost: (err: Error, openFiles: number) => void = () => {},
  ) {
    if (!(size >= 1)) throw new Error(`parse threads: expected at least 1, got ${size}`);
  }

  open(file: string): ParseSession {
    if (this.closed) throw new Error("the parse workers are closed");
    const thread = this.pick();
    thread.sessions += 1;
    const id = this.nextId++;
    let open = true;
    const finish = () => {
      if (open) thread.sessions -= 1;
      open = false;
    };
    return {
      push: async (bytes, movable = false) => {
        const buf = ownBuffer(bytes, movable);
        return (await thread.ask({ op: "push", id, file, bytes: buf }, [buf])).chunks;
      },
      cut: async () => (await thread.ask({ op: "cut", id, file })).chunks[0],
      end: async (): Promise<ParsedEnd> => {
        try {
          const r = await thread.ask({ op: "end", id, file });
          return { chunks: r.chunks, blankLines: r.blankLines ?? 0, distinctPairs: r.distinctPairs ?? 0 };
        } finally {
          finish();
        }
      },
      learn: (seq, values) => {
        if (seq > 0) thread.tell({ op: "learn", seq, ...(values ? { values } : {}) });
      },
      // Also after end: the thread forgets the file's chunks still waiting for answers.
      close: () => {
        thread.tell({ op: "drop", id });
        finish();
      },
    };
  }

  /**
   * Starts every thread now rather than at the first files: a thread takes tens of
   * milliseconds to start from the bundle (seconds from the sources under tsx), better spent
   * while the service lists its first files.
   */
  start(): void {
    while (!this.closed && this.threads.length < this.size) this.spawn();
  }

  private spawn(): ParseThread {
    const t = new ParseThread(this.options, (gone) => {
      const i = this.threads.indexOf(gone);
      if (i >= 0) this.threads.splice(i, 1);
      if (!this.closed) this.onThreadLost(gone.failure as Error, gone.sessions);
    });
    this.threads.push(t);
    return t;
  }

  private pick(): ParseThread {
    if (this.threads.length < this.size) return this.spawn();
    return this.threads.reduce((a, b) => (b.sessions < a.sessions ? b : a));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.splice(0).map((t) => t.worker.terminate()));
  }
}
