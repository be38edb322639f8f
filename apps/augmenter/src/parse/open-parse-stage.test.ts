import { describe, expect, it } from "vitest";
import { AUTO_MAX_THREADS, parseThreadCount } from "./open-parse-stage";

describe("parseThreadCount (PARSE_THREADS)", () => {
  it("auto: one thread per core, at most AUTO_MAX_THREADS", () => {
    const local = (cores: number) => parseThreadCount("auto", { cores, inputOverS3: false });
    expect([1, 2, 3, 16].map(local)).toEqual([1, 2, 3, AUTO_MAX_THREADS]);
  });

  it("auto: none for input over S3 on two cores or fewer (the main thread's S3 I/O leaves no core free)", () => {
    const s3 = (cores: number) => parseThreadCount("auto", { cores, inputOverS3: true });
    expect([1, 2, 3, 4, 16].map(s3)).toEqual([0, 0, 3, 4, AUTO_MAX_THREADS]);
  });

  it("a number is taken as it is, wherever the input is", () => {
    expect(parseThreadCount("2", { cores: 2, inputOverS3: true })).toBe(2);
    expect(parseThreadCount("0", { cores: 8, inputOverS3: false })).toBe(0);
  });
});
