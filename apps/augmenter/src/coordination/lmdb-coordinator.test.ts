import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LmdbRecordSpace } from "@rl/cache";
import { LmdbCoordinator, type LmdbCoordinatorOptions } from "./lmdb-coordinator";

let dir: string;
const open: LmdbCoordinator[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lmdb-coordinator-"));
});
afterAll(async () => {
  await Promise.allSettled(open.map((c) => c.close()));
  await rm(dir, { recursive: true, force: true });
});

const base = (deployment: string) => ({
  modelVersion: `v-${deployment}`,
  rawLocation: `s3://b/raw-${deployment}/`,
  modelAddress: `model-${deployment}:50051`,
  pairsPerSecond: 1000,
});

let deployment = 0;
/** Processes of one deployment on one cache path; here all in this process, each its own space. */
function workers(n: number, o: Partial<LmdbCoordinatorOptions> = {}) {
  deployment += 1;
  const path = join(dir, `cache-${deployment}`, "coordination");
  const make = (workerId: string) => {
    const c = new LmdbCoordinator(LmdbRecordSpace.open(path), {
      ...base(String(deployment)),
      workerId,
      ...o,
    });
    open.push(c);
    return c;
  };
  return { path, ws: Array.from({ length: n }, (_, i) => make(`w${i}`)), make };
}

const k = (i: number) => Buffer.from([i, 1, 2, 3, 4, 5, 6, 7]);

/** Another process holding a lease on f.jsonl@e and a claim on k(9) until it is killed. */
async function holderProcess(path: string, id: string) {
  const module = fileURLToPath(new URL("./lmdb-coordinator.ts", import.meta.url));
  const script = `
    import { LmdbRecordSpace } from "@rl/cache";
    import { LmdbCoordinator } from ${JSON.stringify(module)};
    const c = new LmdbCoordinator(LmdbRecordSpace.open(${JSON.stringify(path)}), ${JSON.stringify({
      ...base(id),
      workerId: "other-process",
    })});
    const lease = await c.leaseFile("f.jsonl", "e");
    const [claimed] = await c.claimPairs([Buffer.from([9, 1, 2, 3, 4, 5, 6, 7])]);
    console.log(lease && claimed ? "held" : "refused");
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    cwd: fileURLToPath(new URL("../../../..", import.meta.url)),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const first = await new Promise<string>((resolve) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.on("exit", () => resolve(`exited: ${stderr}`));
  });
  return { child, first, exited };
}

describe("LmdbCoordinator (real LMDB, one temp cache path)", () => {
  it("leases a file version to one worker at a time; a released lease is free again", async () => {
    const [a, b] = workers(2).ws;
    const lease = await a!.leaseFile("1.jsonl", "e1");
    expect(lease).toBeDefined();
    expect(await b!.leaseFile("1.jsonl", "e1")).toBeUndefined();
    expect(await b!.leaseFile("1.jsonl", "e2")).toBeDefined(); // a re-upload is another version
    await lease!.release();
    expect(await b!.leaseFile("1.jsonl", "e1")).toBeDefined();
  });

  it("lets a restarted worker (same WORKER_ID) take back its own lease at once", async () => {
    const { ws, make } = workers(2);
    const [a, b] = ws;
    expect(await a!.leaseFile("3.jsonl", "e")).toBeDefined();
    await a!.close(); // stopped without releasing: the lease stays
    expect(await b!.leaseFile("3.jsonl", "e")).toBeUndefined();
    expect(await make(a!.workerId).leaseFile("3.jsonl", "e")).toBeDefined();
  });

  it("keeps a lease while its holder renews it, and frees it a TTL after the holder stops renewing", async () => {
    const [a, b] = workers(2, { fileLeaseMs: 1000 }).ws;
    const lease = await a!.leaseFile("2.jsonl", "e");
    await new Promise((r) => setTimeout(r, 1600)); // past the TTL: renewed every ~333 ms
    expect(await b!.leaseFile("2.jsonl", "e")).toBeUndefined();
    expect(lease!.lost).toBe(false);
    await a!.close(); // its process lives on (this one), so only the TTL frees the lease
    await new Promise((r) => setTimeout(r, 1200));
    expect(await b!.leaseFile("2.jsonl", "e")).toBeDefined();
  });

  it("gives each pair to one worker; its holder may re-claim it; a release frees it", async () => {
    const [a, b] = workers(2).ws;
    expect(await a!.claimPairs([k(1), k(2)])).toEqual([true, true]);
    expect(await b!.claimPairs([k(2), k(3)])).toEqual([false, true]);
    expect(await a!.claimPairs([k(1), k(3)])).toEqual([true, false]);
    await a!.releasePairs([k(1), k(2)]);
    expect(await b!.claimPairs([k(1), k(2)])).toEqual([true, true]);
    await b!.releasePairs([k(3)]);
    expect(await a!.claimPairs([k(3)])).toEqual([true]);
  });

  it("spaces every worker's sends on one schedule at the shared rate", async () => {
    const { ws } = workers(3);
    // 6 reservations of 500 pairs at 1000 pairs/s, from 3 workers at once: 0, 0.5, ... 2.5 s.
    const waits = await Promise.all([...ws, ...ws].map((w) => w.reserveModelPairs(500)));
    const sorted = waits.sort((x, y) => x - y);
    sorted.forEach((ms, i) => {
      expect(ms).toBeGreaterThanOrEqual(i * 500 - 50);
      expect(ms).toBeLessThanOrEqual(i * 500 + 50);
    });
    // Once the schedule is behind the clock, a reservation waits for nothing.
    await new Promise((r) => setTimeout(r, 3100));
    expect(await ws[0]!.reserveModelPairs(1)).toBe(0);
  });

  it("refuses another live process's lease and claim, and frees them as soon as that process is gone", async () => {
    const id = String(++deployment);
    const path = join(dir, `cache-${id}`, "coordination");
    const here = new LmdbCoordinator(LmdbRecordSpace.open(path), { ...base(id), workerId: "here" });
    open.push(here);
    const other = await holderProcess(path, id);
    try {
      expect(other.first).toBe("held");
      expect(await here.leaseFile("f.jsonl", "e")).toBeUndefined();
      expect(await here.claimPairs([k(9)])).toEqual([false]);
    } finally {
      other.child.kill("SIGKILL"); // no release, no close: as a crash
      await other.exited;
    }
    // Far inside the TTLs (60 s, 120 s): the dead PID alone frees them.
    expect(await here.leaseFile("f.jsonl", "e")).toBeDefined();
    expect(await here.claimPairs([k(9)])).toEqual([true]);
  }, 30_000);
});
