import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stopChild } from "./stop-child";

export interface LocalRedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  readonly pid: number;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Starts `redis-server` from PATH on 127.0.0.1 and a free port, in a temp dir, and stops it by
 * the pid it started. `extraArgs` e.g. `["--appendonly", "yes"]`.
 */
export async function startLocalRedis(
  options: { extraArgs?: string[]; dir?: string; port?: number } = {},
): Promise<LocalRedisServer> {
  const owned = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), "redis-")));
  for (let attempt = 0; ; attempt++) {
    const port = options.port ?? (await freePort());
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        dir,
        "--save",
        "",
        "--appendonly",
        "no",
        ...(options.extraArgs ?? []),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    const ready = await new Promise<boolean>((resolve, reject) => {
      const onData = (d: Buffer) => {
        output += d.toString();
        if (output.includes("Ready to accept connections")) resolve(true);
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.once("error", (err) =>
        reject(
          new Error(
            `cannot start redis-server (is it installed and on PATH? Debian: apt-get install redis-server): ${err.message}`,
          ),
        ),
      );
      child.once("exit", () => resolve(false));
      setTimeout(() => resolve(false), 10_000);
    });
    if (!ready) {
      child.kill("SIGKILL");
      if (attempt < 3 && options.port === undefined && output.includes("Address already in use")) continue;
      throw new Error(`redis-server did not start on port ${port}:\n${output.slice(-2000)}`);
    }
    child.stdout.removeAllListeners("data");
    child.stderr.removeAllListeners("data");
    child.stdout.resume();
    child.stderr.resume();
    const pid = child.pid ?? 0;
    let stopped: Promise<void> | undefined;
    const stop = () =>
      (stopped ??= (async () => {
        await stopChild(child);
        if (owned) await rm(dir, { recursive: true, force: true });
      })());
    return { port, url: `redis://127.0.0.1:${port}`, dir, pid, stop, [Symbol.asyncDispose]: stop };
  }
}
