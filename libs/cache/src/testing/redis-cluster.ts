import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { startLocalRedis, type LocalRedisServer } from "./redis-server";

const run = promisify(execFile);

export interface LocalRedisCluster {
  /** `redis-cluster://127.0.0.1:p1,…` naming every master, for CACHE_URL. */
  readonly url: string;
  /** Every node, masters first (as created; a failover may swap roles later). */
  readonly nodes: readonly LocalRedisServer[];
  /** The node serving `slot` as master now, asked of the cluster. */
  masterOf(slot: number): Promise<LocalRedisServer>;
  /** Resolves when every live node reports `cluster_state:ok`. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Runs `f` on a one-off connection to a node; `undefined` when the node does not answer. */
async function askNode<T>(port: number, f: (c: Redis) => Promise<T>): Promise<T | undefined> {
  const c = new Redis({
    port,
    host: "127.0.0.1",
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  c.on("error", () => {});
  try {
    await c.connect();
    return await f(c);
  } catch {
    return undefined; // a stopped node
  } finally {
    c.disconnect();
  }
}

async function clusterState(port: number): Promise<string> {
  const info = await askNode(port, (c) => c.cluster("INFO"));
  return info === undefined ? "down" : (/cluster_state:(\w+)/.exec(String(info))?.[1] ?? "unknown");
}

/**
 * A real Redis Cluster of local processes: `masters` masters with `replicas` replicas each,
 * every one a `redis-server --cluster-enabled yes` on 127.0.0.1 and a free port, joined with
 * `redis-cli --cluster create`. Nodes time out after 1 s, so a killed master fails over in a
 * few seconds. Stopped by the pids it started.
 */
export async function startLocalRedisCluster(
  options: { masters?: number; replicas?: number } = {},
): Promise<LocalRedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicas ?? 1;
  const nodes: LocalRedisServer[] = [];
  const stopAll = () => Promise.all(nodes.map((n) => n.stop())).then(() => {});
  try {
    for (let i = 0; i < masters * (1 + replicas); i++)
      nodes.push(
        await startLocalRedis({
          extraArgs: [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            "1000",
          ],
        }),
      );
    await run(
      "redis-cli",
      [
        "--cluster",
        "create",
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        "--cluster-replicas",
        String(replicas),
        "--cluster-yes",
      ],
      { timeout: 30_000 },
    ).catch((err: Error & { stdout?: string; stderr?: string }) => {
      throw new Error(
        `redis-cli --cluster create failed: ${err.message}\n${err.stdout ?? ""}${err.stderr ?? ""}`,
      );
    });
  } catch (err) {
    await stopAll();
    throw err;
  }
  const cluster: LocalRedisCluster = {
    url: `redis-cluster://${nodes
      .slice(0, masters)
      .map((n) => `127.0.0.1:${n.port}`)
      .join(",")}`,
    nodes,
    async masterOf(slot) {
      for (const n of nodes) {
        const slots = await askNode(n.port, (c) => c.cluster("SLOTS"));
        const port = slots?.find(([from, to]) => slot >= from && slot <= to)?.[2]?.[1];
        const owner = nodes.find((x) => x.port === port);
        if (owner) return owner;
      }
      throw new Error(`no live node knows the master of slot ${slot}`);
    },
    async waitHealthy(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const states = await Promise.all(nodes.map((n) => clusterState(n.port)));
        if (states.every((s) => s === "ok" || s === "down")) return;
        if (Date.now() > until)
          throw new Error(`cluster not healthy after ${timeoutMs} ms: ${states.join(", ")}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    stop: stopAll,
    [Symbol.asyncDispose]: stopAll,
  };
  await cluster.waitHealthy();
  return cluster;
}
