import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_PAIR_RULES, MemoryStore, TwoTierCache, pairKey, pairText } from "@rl/cache";
import { LocalObjectStore } from "@rl/s3";
import { afterAll, describe, expect, it } from "vitest";
import { InferenceScheduler } from "../inference/inference-scheduler";
import type { ModelRequest, SeniorityModel } from "../model/seniority-model";
import { warmCache } from "./warm-cache";

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe("warmCache", () => {
  it("asks the model for uncached pairs most frequent first, honours --since, skips cached pairs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "warm-"));
    dirs.push(dir);
    const raw = new LocalObjectStore(dir);
    const line = (c: string, t: string) => JSON.stringify({ company: c, title: t });
    await raw.put("1000.jsonl", `${line("Old", "Only")}\n`);
    await raw.put(
      "2000.jsonl",
      [
        line("A", "Rare"),
        line("B", "Often"),
        line("B", "Often"),
        line("B", " Often "),
        line("C", "Twice"),
        line("C", "Twice"),
        line("D", "Cached"),
      ].join("\n") + "\n",
    );
    await raw.put("notes.txt", "ignored");
    const sent: ModelRequest[] = [];
    const model: SeniorityModel = {
      infer: async (batch) => {
        sent.push(...batch);
        return batch.map((r) => ({ uuid: r.uuid, seniority: 4 }));
      },
      close() {},
    };
    const l2 = new MemoryStore();
    await l2.setMany([[pairKey(pairText("D", "Cached")), 2]]);
    const cache = new TwoTierCache(l2, 100);
    const scheduler = new InferenceScheduler(model, cache, {
      pairsPerSecond: 1e6,
      lingerMs: 5,
      batchSize: 1,
    });
    const r = await warmCache(raw, cache, scheduler, {
      pairRules: DEFAULT_PAIR_RULES,
      since: 2000,
      maxPairs: 1000,
    });
    expect(sent.map((p) => `${p.company}/${p.title}`)).toEqual(["B/Often", "C/Twice", "A/Rare"]);
    expect(r).toMatchObject({ files: 1, records: 7, distinctPairs: 4, alreadyCached: 1, inferred: 3 });
    expect(await l2.getMany([pairKey(pairText("B", "Often"))])).toEqual([4]);
  });
});
