import type { Socket } from "node:net";
import { connect } from "node:net";

type Pending =
  | {
      kind: "get";
      values: Map<string, Buffer>;
      resolve(v: Map<string, Buffer>): void;
      reject(e: Error): void;
    }
  | { kind: "mn"; resolve(): void; reject(e: Error): void };

const CRLF = Buffer.from("\r\n");

/**
 * One connection speaking memcached's text protocol: pipelined `get k1 k2 …` (multi-get) and
 * `set … noreply` writes confirmed by one `mn` (meta no-op, memcached ≥ 1.6). Responses come
 * back in request order, so a FIFO of pending requests is all the bookkeeping needed.
 */
export class MemcachedConnection {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending: Pending[] = [];

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly timeoutMs = 5_000,
  ) {}

  private open(): Socket {
    if (this.socket && !this.socket.destroyed) return this.socket;
    const s = connect({ host: this.host, port: this.port });
    s.setNoDelay(true);
    s.setTimeout(this.timeoutMs, () =>
      s.destroy(new Error(`memcached ${this.host}:${this.port} timed out after ${this.timeoutMs} ms`)),
    );
    s.on("data", (d: Buffer) => {
      this.buffer = this.buffer.length === 0 ? d : Buffer.concat([this.buffer, d]);
      this.parse();
    });
    const fail = (err?: Error) => {
      const e = err ?? new Error(`memcached ${this.host}:${this.port} closed the connection`);
      for (const p of this.pending.splice(0))
        p.reject(new Error(`memcached ${this.host}:${this.port}: ${e.message}`));
      this.buffer = Buffer.alloc(0);
    };
    s.on("error", fail);
    s.on("close", () => fail());
    this.socket = s;
    return s;
  }

  private parse(): void {
    for (;;) {
      const p = this.pending[0];
      if (!p) return;
      const eol = this.buffer.indexOf(CRLF);
      if (eol === -1) return;
      const line = this.buffer.toString("latin1", 0, eol);
      if (line.startsWith("VALUE ") && p.kind === "get") {
        const [, key, , bytes] = line.split(" ");
        const n = Number(bytes);
        if (this.buffer.length < eol + 2 + n + 2) return; // wait for the whole value
        p.values.set(key ?? "", Buffer.from(this.buffer.subarray(eol + 2, eol + 2 + n)));
        this.buffer = this.buffer.subarray(eol + 2 + n + 2);
        continue;
      }
      this.buffer = this.buffer.subarray(eol + 2);
      this.pending.shift();
      if (line === "END" && p.kind === "get") p.resolve(p.values);
      else if (line === "MN" && p.kind === "mn") p.resolve();
      else
        p.reject(
          new Error(`memcached ${this.host}:${this.port} answered ${JSON.stringify(line.slice(0, 200))}`),
        );
    }
  }

  getMany(keys: readonly string[]): Promise<Map<string, Buffer>> {
    return new Promise((resolve, reject) => {
      this.pending.push({ kind: "get", values: new Map(), resolve, reject });
      this.open().write(`get ${keys.join(" ")}\r\n`);
    });
  }

  /** Writes every entry without waiting, then one no-op whose answer confirms them all. */
  setMany(entries: ReadonlyArray<readonly [string, string]>): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = this.open();
      s.write(entries.map(([k, v]) => `set ${k} 0 0 ${Buffer.byteLength(v)} noreply\r\n${v}\r\n`).join(""));
      this.pending.push({ kind: "mn", resolve, reject });
      s.write("mn\r\n");
    });
  }

  close(): void {
    this.socket?.end();
    this.socket?.destroy();
  }
}
