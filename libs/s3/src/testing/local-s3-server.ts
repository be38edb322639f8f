import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export interface LocalS3Server {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly pid: number;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts s3rver (an S3-protocol server in Node) on 127.0.0.1 in its own process, with a temp
 * directory, and stops it by the pid it started. Its own process because (1) it needs
 * --openssl-legacy-provider for listings past 1000 keys (see s3rver-child.mjs), and (2) in the
 * caller's process it would compete for the caller's JS thread. Known gaps, from
 * shared/design.md §4: it ignores If-None-Match on writes and lacks AbortMultipartUpload.
 */
export async function startLocalS3Server(
  options: { buckets?: string[]; port?: number; directory?: string } = {},
): Promise<LocalS3Server> {
  const owned = options.directory === undefined;
  const directory = options.directory ?? (await mkdtemp(join(tmpdir(), "s3rver-")));
  const script = fileURLToPath(new URL("./s3rver-child.mjs", import.meta.url));
  const config = {
    port: options.port ?? 0,
    directory,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  };
  const child = spawn(process.execPath, ["--openssl-legacy-provider", script, JSON.stringify(config)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout }).once("line", (l) =>
        resolve((JSON.parse(l) as { port: number }).port),
      );
      child.once("exit", (code) =>
        reject(new Error(`s3rver exited with ${code} before it was ready: ${stderr.slice(-1000)}`)),
      );
      child.once("error", reject);
    });
  } catch (err) {
    if (owned) await rm(directory, { recursive: true, force: true });
    throw err;
  }
  child.stdout.resume();
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        const force = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(force);
      }
      if (owned) await rm(directory, { recursive: true, force: true });
    })());
  return {
    endpoint: `http://127.0.0.1:${port}`,
    // s3rver checks signatures against this fixed key pair.
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    pid: child.pid ?? 0,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
