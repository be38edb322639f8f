import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalObjectStore } from "@rl/s3";
import { afterAll, describe, expect, it } from "vitest";
import { sourceStamp } from "../ledger/output-ledger";
import { Discovery } from "./discovery";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("Discovery", () => {
  it("finds inputs without a current output, ignores other keys, and re-finds re-uploaded inputs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "disc-"));
    dirs.push(dir);
    const raw = new LocalObjectStore(join(dir, "raw"));
    const mod = new LocalObjectStore(join(dir, "mod"));
    const a = await raw.put("1721183880.jsonl", "a\n");
    await raw.put("1721183940.jsonl.gz", "b");
    await raw.put("notes.txt", "x");
    await raw.put("sub/1721184000.jsonl", "c\n");
    await mod.put("1721183880.jsonl", "out\n", { metadata: sourceStamp(a.etag) });
    const d = new Discovery(raw, mod, 3600);
    const first = await d.list();
    expect(first.pending.map((p) => p.key)).toEqual(["1721183940.jsonl.gz"]);
    expect(first.ignored.sort()).toEqual(["notes.txt", "sub/1721184000.jsonl"]);
    expect(first.done).toBe(1);
    await raw.put("1721183880.jsonl", "changed\n");
    expect((await d.list()).pending.map((p) => p.key)).toEqual(["1721183880.jsonl", "1721183940.jsonl.gz"]);
  });

  it("lists from the high-water mark minus the look-back, and forgets older done files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "disc-"));
    dirs.push(dir);
    const raw = new LocalObjectStore(join(dir, "raw"));
    const mod = new LocalObjectStore(join(dir, "mod"));
    const d = new Discovery(raw, mod, 120);
    for (const ts of [1000, 1060, 1120, 1180, 1240]) {
      const { etag } = await raw.put(`${ts}.jsonl`, `${ts}\n`);
      await mod.put(`${ts}.jsonl`, "x\n", { metadata: sourceStamp(etag) });
      d.markDone(`${ts}.jsonl`, etag);
    }
    await raw.put("1000.jsonl", "late change, outside the look-back\n");
    await raw.put("1130.jsonl", "late file, inside it\n");
    const l = await d.list();
    expect(l.pending.map((p) => p.key)).toEqual(["1130.jsonl"]);
    expect(d.remembered).toBe(3); // 1120, 1180, 1240 are within 120 s of 1240
  });
});
