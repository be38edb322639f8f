import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { profileSummary } from "./cpu-profile";

const frame = (functionName: string) => ({ functionName, url: "", lineNumber: 0 });

describe("profileSummary", () => {
  it("adds up every thread's samples and reports each thread's busy time, main thread first", async () => {
    const dir = await mkdtemp(join(tmpdir(), "prof-"));
    try {
      // The same node ids in both profiles: they must not be mixed up.
      const profile = (busy: string, n: number) => ({
        nodes: [
          { id: 1, callFrame: frame("(idle)") },
          { id: 2, callFrame: frame(busy) },
        ],
        samples: [1, ...Array<number>(n).fill(2)],
        timeDeltas: [500_000, ...Array<number>(n).fill(1000)],
      });
      await writeFile(
        join(dir, "CPU.20261128.190000.42.1.002.cpuprofile"),
        JSON.stringify(profile("parse", 300)),
      );
      await writeFile(
        join(dir, "CPU.20261128.190000.42.0.001.cpuprofile"),
        JSON.stringify(profile("write", 100)),
      );
      const s = await profileSummary(dir, 5);
      expect(s.threads).toEqual([
        { thread: "main", busySeconds: 0.1 },
        { thread: "worker 1", busySeconds: 0.3 },
      ]);
      expect(s.top).toEqual([
        { name: "parse", percent: 75 },
        { name: "write", percent: 25 },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
