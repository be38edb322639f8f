import { createHash } from "node:crypto";
import { MemcachedConnection } from "./memcached-connection";
import { storedKey, type PairKey } from "./pair-key";
import { isSeniority, type SeniorityStore } from "./seniority-store";

const POINTS_PER_SERVER = 160;
const GET_CHUNK = 100;

/**
 * A consistent-hash ring (160 points a server, as ketama does): adding or removing one of N
 * servers moves only about 1/N of the keys.
 */
export class HashRing {
  private readonly points: Array<{ at: number; server: number }> = [];

  constructor(servers: readonly string[]) {
    servers.forEach((name, server) => {
      for (let i = 0; i < POINTS_PER_SERVER; i++) {
        this.points.push({ at: createHash("sha1").update(`${name}-${i}`).digest().readUInt32BE(0), server });
      }
    });
    this.points.sort((a, b) => a.at - b.at);
  }

  /** Index of the server that owns a key (by the key's first 4 bytes). */
  serverOf(key: Buffer): number {
    const h = key.readUInt32BE(0);
    let lo = 0;
    let hi = this.points.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.points[mid]?.at ?? 0) < h) lo = mid + 1;
      else hi = mid;
    }
    return (this.points[lo % this.points.length] as { server: number }).server;
  }
}

/** Parses `memcached://host1:port,host2:port`. */
export function parseMemcachedUrl(url: string): Array<{ host: string; port: number }> {
  const list = url
    .replace(/^memcached:\/\//, "")
    .split(",")
    .filter(Boolean);
  if (list.length === 0) throw new Error("expected memcached://host:port[,host:port…]");
  return list.map((hp) => {
    const m = /^([^:]+):(\d{1,5})$/.exec(hp.trim());
    if (!m) throw new Error(`expected host:port in memcached URL, got ${JSON.stringify(hp)}`);
    return { host: m[1] as string, port: Number(m[2]) };
  });
}

/**
 * `memcached://host1:port,host2:port`: an L2 for teams that already run memcached. Keys
 * `sen:<version>:<16 hex>` spread over the servers by consistent hashing; each batch is one
 * multi-get (or one pipelined set) per server. NOT persistent: a restart or eviction loses
 * pairs, which are then inferred again; use Redis or LMDB where "once, ever" matters.
 */
export class MemcachedStore implements SeniorityStore {
  readonly description: string;
  private readonly ring: HashRing;
  private readonly conns: MemcachedConnection[];

  constructor(
    servers: ReadonlyArray<{ host: string; port: number }>,
    private readonly modelVersion: string,
  ) {
    const names = servers.map((s) => `${s.host}:${s.port}`);
    this.ring = new HashRing(names);
    this.conns = servers.map((s) => new MemcachedConnection(s.host, s.port));
    this.description = `memcached://${names.join(",")} (not persistent)`;
  }

  private name(k: Buffer): string {
    return `sen:${this.modelVersion}:${k.toString("hex")}`;
  }

  private byServer<T>(items: readonly T[], keyOf: (t: T) => Buffer): Map<number, number[]> {
    const groups = new Map<number, number[]>();
    items.forEach((item, i) => {
      const s = this.ring.serverOf(keyOf(item));
      const g = groups.get(s);
      if (g) g.push(i);
      else groups.set(s, [i]);
    });
    return groups;
  }

  async getMany(keys: readonly PairKey[]): Promise<Array<number | undefined>> {
    const stored = keys.map(storedKey);
    const out = new Array<number | undefined>(keys.length).fill(undefined);
    const groups = this.byServer(stored, (k) => k);
    await Promise.all(
      [...groups].map(async ([server, idx]) => {
        const conn = this.conns[server] as MemcachedConnection;
        const names = idx.map((i) => this.name(stored[i] as Buffer));
        const parts = [];
        for (let i = 0; i < names.length; i += GET_CHUNK)
          parts.push(conn.getMany(names.slice(i, i + GET_CHUNK)));
        const found = new Map<string, Buffer>();
        for (const m of await Promise.all(parts)) for (const [k, v] of m) found.set(k, v);
        idx.forEach((i, j) => {
          const v = Number(found.get(names[j] as string)?.toString());
          out[i] = isSeniority(v) ? v : undefined;
        });
      }),
    );
    return out;
  }

  async setMany(entries: ReadonlyArray<readonly [PairKey, number]>): Promise<void> {
    const groups = this.byServer(entries, (e) => storedKey(e[0]));
    await Promise.all(
      [...groups].map(([server, idx]) =>
        (this.conns[server] as MemcachedConnection).setMany(
          idx.map((i) => {
            const [k, v] = entries[i] as readonly [PairKey, number];
            return [this.name(storedKey(k)), String(v)] as const;
          }),
        ),
      ),
    );
  }

  /** One no-op to every server: at start, an unreachable server is said once, before any work. */
  async ping(): Promise<void> {
    await Promise.all(this.conns.map((c) => c.setMany([])));
  }

  /** Which server holds a key: for tests of the ring. */
  serverOf(key: PairKey): number {
    return this.ring.serverOf(storedKey(key));
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.close();
  }
}
