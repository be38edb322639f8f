import { describe, expect, it } from "vitest";
import { LruCache } from "./lru-cache";

describe("LruCache", () => {
  it("evicts the least recently used entry past its bound", () => {
    const c = new LruCache<string, number>(2);
    c.set("a", 1);
    c.set("b", 2);
    expect(c.get("a")).toBe(1); // a is now the most recent
    c.set("c", 3);
    expect(c.get("b")).toBeUndefined();
    expect(c.get("a")).toBe(1);
    expect(c.get("c")).toBe(3);
    expect(c.size).toBe(2);
  });

  it("peeks without making the entry recent", () => {
    const c = new LruCache<string, number>(2);
    c.set("a", 1);
    c.set("b", 2);
    expect(c.peek("a")).toBe(1); // a stays the least recent
    c.set("c", 3);
    expect(c.peek("a")).toBeUndefined();
    expect(c.peek("b")).toBe(2);
  });

  it("keeps the entries in use while a stream of one-off entries passes through", () => {
    const c = new LruCache<string, number>(100);
    for (let i = 0; i < 10_000; i++) {
      c.set(`once-${i}`, i);
      for (let h = 0; h < 10; h++) {
        if (i === 0) c.set(`hot-${h}`, h);
        expect(c.get(`hot-${h}`)).toBe(h);
      }
      expect(c.size).toBeLessThanOrEqual(100);
    }
    expect(c.size).toBe(100);
    expect(c.get("once-0")).toBeUndefined();
  });

  it("replaces a value in place and counts the key once", () => {
    const c = new LruCache<string, number>(3);
    c.set("a", 1);
    c.set("a", 2);
    expect(c.size).toBe(1);
    expect(c.peek("a")).toBe(2);
    c.clear();
    expect(c.size).toBe(0);
    expect(c.get("a")).toBeUndefined();
  });
});
