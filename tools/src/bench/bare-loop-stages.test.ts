import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { bareLoop, bareLoopStages } from "./bare-loop";
import { BARE_LOOP_STAGES, stageRates, type StagePass } from "./bare-loop-stages";

const pass = (stage: StagePass["stage"], lines: number, seconds: number): StagePass => ({
  stage,
  lines,
  seconds,
});

describe("stageRates", () => {
  it("divides every pass, read included, by the line count of the passes that split", () => {
    expect(
      stageRates([pass("read", 0, 0.5), pass("+ split lines", 1000, 1), pass("+ write", 1000, 4)]),
    ).toEqual([
      { stage: "read", linesPerSecond: 2000 },
      { stage: "+ split lines", linesPerSecond: 1000 },
      { stage: "+ write", linesPerSecond: 250 },
    ]);
  });

  it("refuses passes that saw different lines, or none", () => {
    expect(() => stageRates([pass("+ split lines", 1000, 1), pass("+ write", 999, 1)])).toThrow(
      /one non-zero line count/,
    );
    expect(() => stageRates([pass("read", 0, 1)])).toThrow(/one non-zero line count/);
  });
});

describe("bareLoopStages", () => {
  let dir = "";
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it("runs one pass per stage, in order, and its last pass writes what the bare loop writes", async () => {
    dir = await mkdtemp(join(tmpdir(), "bare-stages-"));
    const raw = join(dir, "raw");
    const line = (company: string, title: string) => `${JSON.stringify({ company, title })}\n`;
    await mkdir(raw);
    await writeFile(join(raw, "1.jsonl.meta.json"), "{}"); // the generator's sidecar: not read
    await writeFile(join(raw, "1.jsonl"), line("Acme", "Engineer") + "\n" + line("Acme", "Lead"));
    await writeFile(join(raw, "2.jsonl"), line("Initech", "Engineer"));

    const passes = await bareLoopStages(raw, join(dir, "stages"));
    expect(passes.map((p) => [p.stage, p.lines])).toEqual(
      BARE_LOOP_STAGES.map((s) => [s, s === "read" ? 0 : 3]),
    );
    expect(await bareLoop(raw, join(dir, "full"))).toMatchObject({ lines: 3 });
    for (const f of ["1.jsonl", "2.jsonl"])
      expect(await readFile(join(dir, "stages", f), "utf8")).toBe(
        await readFile(join(dir, "full", f), "utf8"),
      );
    expect(await readFile(join(dir, "full", "2.jsonl"), "utf8")).toMatch(
      /^\{"company":"Initech","title":"Engineer","seniority":\d\}\n$/,
    );
  });
});
