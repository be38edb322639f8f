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
});
