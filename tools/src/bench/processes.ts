import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { freePort, stopChild } from "@rl/cache/testing";
import type { MockStatsSnapshot } from "mock-seniority-server";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const TSX = `${ROOT}node_modules/.bin/tsx`;

/** Spawns a TypeScript entry point and resolves with its first stdout line, once it is up. */
export async function spawnReady(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; firstLine: string; stop(): Promise<void> }> {
  const child = spawn(TSX, [`${ROOT}${script}`, ...args], { stdio: ["ignore", "pipe", "inherit"], env });
  const firstLine = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
  });
  child.stdout?.resume();
  return { child, firstLine, stop: () => stopChild(child) };
}

export interface MockProcess {
  address: string;
  stats(): Promise<MockStatsSnapshot>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** The mock model in its own process, so its CPU and memory are its own. */
export async function startMockProcess(
  rate: number,
  seed = "bench",
  mode: "seeded" | "keyword" = "seeded",
): Promise<MockProcess> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const p = await spawnReady("apps/mock-seniority-server/src/main.ts", [
    "--port",
    String(port),
    "--metrics-port",
    String(metricsPort),
    "--rate",
    String(rate),
    "--seed",
    seed,
    "--mode",
    mode,
  ]);
  const base = `http://127.0.0.1:${metricsPort}`;
  return {
    address: `127.0.0.1:${port}`,
    stats: async () => (await (await fetch(`${base}/stats`)).json()) as MockStatsSnapshot,
    reset: async () => void (await fetch(`${base}/reset`, { method: "POST" })),
    stop: p.stop,
  };
}

export type { LocalS3Server as S3Process } from "@rl/s3/testing";
export { startLocalS3Server as startS3Process } from "@rl/s3/testing";
