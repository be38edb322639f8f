import { describe, expect, it } from "vitest";
import { freeArrayBuffer } from "./free-memory";

describe("freeArrayBuffer", () => {
  it("detaches the buffer, so its views read as empty, and tolerates a second call", () => {
    const buf = new ArrayBuffer(1 << 20);
    const view = new Uint8Array(buf, 10, 100);
    freeArrayBuffer(buf);
    expect([buf.byteLength, view.length]).toEqual([0, 0]);
    expect(() => freeArrayBuffer(buf)).not.toThrow();
  });

  it("leaves a buffer that cannot be detached as it is", async () => {
    const { markAsUntransferable } = await import("node:worker_threads");
    const buf = new ArrayBuffer(1024);
    markAsUntransferable(buf);
    freeArrayBuffer(buf);
    expect(buf.byteLength).toBe(1024);
  });
});
