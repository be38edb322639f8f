import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { buffer } from "node:stream/consumers";
import { gunzipSync, gzipSync } from "node:zlib";
import { LocalObjectStore, type ObjectStore } from "@rl/s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  augmenterEnv,
  scenario,
  sleep,
  spawnAugmenter,
  startEnv,
  type E2eEnvironment,
  type Scenario,
} from "./env";

// Issue 11, item 10: a newer version of an input replaces or removes the older version's dead
// letters, so outputs + dead letters = records holds for what is in the stores now; and a local
// file still being written is processed once, when whole, not on every poll.
let env: E2eEnvironment;
beforeAll(async () => {
  env = await startEnv("stale-dead");
});
afterAll(() => env.stop());

const good = (v: string, i: number) => JSON.stringify({ company: `Acme ${v}`, title: `Engineer ${i}` });

/** The three places of a run, on the scenario's S3 bucket or in local directories. */
const layouts = {
  "S3 (the test environment's S3 server)": (s: Scenario) => ({
    raw: s.store("raw"),
    mod: s.store("mod"),
    errors: s.store("errors"),
    overrides: {},
  }),
  "local directories": (s: Scenario) => {
    const at = (what: string) => join(env.dir, s.id, what);
    return {
      raw: new LocalObjectStore(at("raw")),
      mod: new LocalObjectStore(at("mod")),
      errors: new LocalObjectStore(at("errors")),
      overrides: { rawUri: at("raw"), modUri: at("mod"), errorsUri: at("errors") },
    };
  },
};

const body = async (store: ObjectStore, key: string) => {
  const bytes = await buffer(await store.get(key));
  return (key.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8");
};
const lines = (s: string) => s.split("\n").filter((l) => l.trim() !== "");

async function keysOf(store: ObjectStore): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list()) out.push(o.key);
  return out;
}

describe.each(Object.entries(layouts))("dead letters of an older version, %s", (_name, layout) => {
  it("v1 with a bad line, a clean v2, v3 and v4 with other bad lines: the dead letters are always the current version's", async () => {
    const s = await scenario(env);
    const { raw, mod, errors, overrides } = layout(s);
    // A plain and a gzipped input; the dead-letter key of a .gz input drops the .gz.
    const inputs = [
      { key: "1721183880.jsonl", deadKey: "1721183880.jsonl" },
      { key: "1721183940.jsonl.gz", deadKey: "1721183940.jsonl" },
    ];
    const versions: Array<{ name: string; lines: string[]; bad: number[] }> = [
      { name: "v1", lines: [good("v1", 1), good("v1", 2), "v1: not JSON", good("v1", 3)], bad: [3] },
      { name: "v2", lines: [1, 2, 3, 4, 5].map((i) => good("v2", i)), bad: [] },
      {
        name: "v3",
        lines: [good("v3", 1), "[1, 2, 3]", good("v3", 2), good("v3", 3), good("v3", 4), "v3: {broken"],
        bad: [2, 6],
      },
      { name: "v4", lines: [good("v4", 1), good("v4", 2), good("v4", 3), "v4: not JSON"], bad: [4] },
    ];
    for (const v of versions) {
      for (const input of inputs) {
        const content = `${v.lines.join("\n")}\n`;
        await raw.put(input.key, input.key.endsWith(".gz") ? gzipSync(content) : content);
      }
      const report = await s.run(overrides);
      expect(report.totals.failedFiles, `${v.name}: ${JSON.stringify(report.files)}`).toBe(0);
      expect(report.files.map((f) => f.key)).toEqual(inputs.map((i) => i.key));
      for (const input of inputs) {
        const what = `${v.name} ${input.key}`;
        const f = report.files.find((r) => r.key === input.key)!;
        expect(f, what).toMatchObject({ records: v.lines.length, deadLetters: v.bad.length });
        const outputLines = lines(await body(mod, input.key)).length;
        const dead = (await errors.head(input.deadKey))
          ? lines(await body(errors, input.deadKey)).map(
              (l) => JSON.parse(l) as { file: string; line: number; raw: string },
            )
          : [];
        // Exactly this version's bad lines, nothing left from an earlier version.
        expect(
          dead.map((d) => ({ file: d.file, line: d.line, raw: d.raw })),
          what,
        ).toEqual(v.bad.map((n) => ({ file: input.key, line: n, raw: v.lines[n - 1] })));
        expect(outputLines + dead.length, what).toBe(v.lines.length);
      }
      // A clean version leaves no dead-letter object at all.
      expect(await keysOf(errors), v.name).toEqual(v.bad.length > 0 ? inputs.map((i) => i.deadKey) : []);
    }
  }, 120_000);
});

describe("a local file still being written", () => {
  it("appended to in steps while serve polls every 100 ms: processed once, after it settles, and no dead letter", async () => {
    const s = await scenario(env);
    const at = (what: string) => join(env.dir, `settle-${s.id}`, what);
    await mkdir(at("raw"), { recursive: true });
    const key = "1721183880.jsonl";
    const content = `${Array.from({ length: 400 }, (_, i) => good("growing", i)).join("\n")}\n`;
    const p = spawnAugmenter(
      ["serve"],
      augmenterEnv(env, s, {
        RAW_URI: at("raw"),
        MOD_URI: at("mod"),
        ERRORS_URI: at("errors"),
        POLL_INTERVAL_MS: "100",
        HTTP_PORT: "-1",
        LOG_LEVEL: "info",
      }),
    );
    const fileDone = () =>
      lines(p.out()).filter((l) => l.includes('"msg":"file done"') && l.includes(`"file":"${key}"`)).length;
    try {
      const deadline = Date.now() + 30_000;
      while (!p.out().includes('"augmenter starting"')) {
        if (Date.now() > deadline || p.child.exitCode !== null) throw new Error(`not started:\n${p.err()}`);
        await sleep(50);
      }
      // Written by hand in 8 steps, 250 ms apart, each ending in the middle of a line; every
      // step is a new version (a new ETag) that several polls see.
      const steps = 8;
      const size = Math.ceil(content.length / steps);
      for (let i = 0; i < steps; i++) {
        await appendFile(join(at("raw"), key), content.slice(i * size, (i + 1) * size));
        await sleep(250);
      }
      expect(fileDone(), "processed while it was still being written").toBe(0);

      const mod = new LocalObjectStore(at("mod"));
      const etag = (await new LocalObjectStore(at("raw")).head(key))?.etag;
      expect(etag).toMatch(/^[0-9a-f]{32}$/);
      const until = Date.now() + 30_000;
      while ((await mod.head(key))?.metadata["source-etag"] !== etag) {
        if (Date.now() > until) throw new Error(`no output for the whole file:\n${p.out()}\n${p.err()}`);
        await sleep(100);
      }
      await sleep(1500); // many more polls
      expect(fileDone()).toBe(1);
      expect(lines(await body(mod, key))).toHaveLength(400);
      expect(await keysOf(new LocalObjectStore(at("errors")))).toEqual([]);
      expect(p.child.exitCode).toBe(null);
    } finally {
      p.child.kill("SIGTERM");
      await p.exited;
    }
  }, 90_000);
});
