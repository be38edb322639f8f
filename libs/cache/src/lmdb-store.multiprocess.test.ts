import { execFileSync, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LmdbStore } from "./lmdb-store";

// Processes on one machine share an lmdb: cache; one waits for pairs another infers and reads
// them back from L2, so a commit in one must be visible to the other's next batch read.
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "lmdb-mp-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const root = fileURLToPath(new URL("../../..", import.meta.url));
const key = (i: number) => Buffer.from([i, 1, 2, 3, 4, 5, 6, 7]);
/** A script for another process: writes key(i) = 5 into `path`, namespace v, then says so. */
const writer = (path: string, i: number) => `
  import { LmdbStore } from ${JSON.stringify(fileURLToPath(new URL("./lmdb-store.ts", import.meta.url)))};
  const s = LmdbStore.open(${JSON.stringify(path)}, "v");
  await s.setStoredMany([[Buffer.from(${JSON.stringify([...key(i)])}), 5]]);
  console.log("written");
  await s.close();`;
const node = ["--import", "tsx", "--input-type=module", "-e"];

describe("LmdbStore across processes", () => {
  it("a batch read sees what another process committed, at once", async () => {
    const path = join(dir, "async");
    const store = LmdbStore.open(path, "v");
    expect(await store.getStoredMany([key(1)])).toEqual([undefined]);
    const child = spawn(process.execPath, [...node, writer(path, 1)], { cwd: root });
    const t0 = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout }).once("line", () => resolve(performance.now()));
      child.once("exit", (code) => reject(new Error(`writer exited ${code}`)));
    });
    expect(await store.getStoredMany([key(1)])).toEqual([5]);
    expect(performance.now() - t0).toBeLessThan(300);
    await store.close();
  });

  it("even when this process read in the same event-loop turn before the other committed", async () => {
    const path = join(dir, "same-turn");
    const store = LmdbStore.open(path, "v");
    expect(await store.getStoredMany([key(2)])).toEqual([undefined]); // holds a read snapshot
    // The other process writes while this one does not leave the turn (claim, then re-read).
    execFileSync(process.execPath, [...node, writer(path, 2)], { cwd: root });
    expect(await store.getStoredMany([key(2)])).toEqual([5]);
    await store.close();
  });
});
