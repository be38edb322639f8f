import { existsSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { makeDirectory } from "./make-directory";

describe("makeDirectory", () => {
  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it("creates every missing level and accepts one that exists", async () => {
    const base = await mkdtemp(join(tmpdir(), "mkdir-"));
    dirs.push(base);
    const deep = join(base, "a", "b", "c");
    makeDirectory(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(() => makeDirectory(deep)).not.toThrow();
  });

  it.runIf(existsSync("/proc/self"))("throws under /proc, where Node's recursive mkdir loops forever", () => {
    expect(() => makeDirectory("/proc/nope/cache")).toThrow(/ENOENT/);
  });

  it("throws when a file stands where a directory should be", async () => {
    const base = await mkdtemp(join(tmpdir(), "mkdir-"));
    dirs.push(base);
    writeFileSync(join(base, "f"), "x");
    expect(() => makeDirectory(join(base, "f", "sub"))).toThrow(/ENOTDIR|EEXIST/);
  });
});
