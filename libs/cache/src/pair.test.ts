import { describe, expect, it } from "vitest";
import { DEFAULT_PAIR_RULES, pairWireBytes, toPair } from "./pair";
import {
  KEY_ENCODING,
  pairKey,
  pairText,
  parseStorageNamespace,
  splitPairText,
  storageNamespace,
} from "./pair-key";

const key = (c: string, t: string) => pairKey(pairText(c, t)).toString("hex");

describe("pairText", () => {
  it("gives pairs that differ only in where a NUL sits different keys", () => {
    expect(key("Acme\u0000CEO", "Intern")).not.toBe(key("Acme", "CEO\u0000Intern"));
    expect(key("\u0000", "a")).not.toBe(key("", "\u0000a"));
    expect(key("a\u0000", "b")).not.toBe(key("a", "\u0000b"));
    expect(key("1:a", "b")).not.toBe(key("", "1:ab"));
  });

  it("is injective: every text splits back into its own two strings", () => {
    const parts = [
      "",
      "a",
      "\u0000",
      "a\u0000b",
      "1:",
      "\u00001:x",
      ":",
      "0:",
      "Acme",
      "CEO\u0000Intern",
      "é",
      "😀",
    ];
    const seen = new Map<string, string>();
    for (const c of parts)
      for (const t of parts) {
        const text = pairText(c, t);
        expect(splitPairText(text)).toEqual({ company: c, title: t });
        const before = seen.get(text);
        expect(before, `${JSON.stringify([c, t])} meets ${before}`).toBeUndefined();
        seen.set(text, JSON.stringify([c, t]));
      }
  });

  it("lives in a namespace of its own: entries keyed by the superseded encoding are never read", () => {
    // Encoding 1 joined with NUL and re-split at the first one: ("", "4:Acme\0CEO") was cached
    // under the text that encoding 2 gives ("Acme", "\0CEO"). Sharing a namespace would hand the
    // second pair the first one's value.
    expect(pairText("Acme", "\u0000CEO")).toBe("\u00004:Acme\u0000CEO");
    expect(storageNamespace("v1")).toBe(`v1#k${KEY_ENCODING}`);
    expect(storageNamespace("v1", 1)).toBe("v1");
    expect(parseStorageNamespace(storageNamespace("v1.2-rc"))).toEqual({
      modelVersion: "v1.2-rc",
      keyEncoding: 2,
    });
    expect(parseStorageNamespace("v1")).toEqual({ modelVersion: "v1", keyEncoding: 1 });
  });
});

describe("toPair", () => {
  const rules = { ...DEFAULT_PAIR_RULES, maxFieldChars: 10 };

  it("says why a record makes no pair", () => {
    expect(toPair(undefined, "t", rules)).toBe("missing");
    expect(toPair("c", 3, rules)).toBe("missing");
    expect(toPair("  ", "t", rules)).toBe("empty");
    expect(toPair("c", "x".repeat(11), rules)).toBe("too-long");
    expect(toPair("x".repeat(11), "t", rules)).toBe("too-long");
    expect(toPair(" c ", " t ", rules)).toEqual({ company: "c", title: "t", key: pairText("c", "t") });
  });

  it("measures the limit after normalisation, in characters", () => {
    expect(toPair(`  ${"x".repeat(10)}  `, "t", rules)).not.toBe("too-long");
    expect(toPair("é".repeat(10), "t", rules)).not.toBe("too-long");
    expect(toPair("e\u0301".repeat(10), "t", rules)).not.toBe("too-long"); // NFC: 10 characters
  });

  it("makes lone surrogates well-formed, so hashed, sent and cached text are one", () => {
    const p = toPair("Acme", "\ud800 Engineer \udc00", DEFAULT_PAIR_RULES);
    expect(p).toEqual(toPair("Acme", "\ufffd Engineer \ufffd", DEFAULT_PAIR_RULES));
    if (typeof p === "string") throw new Error(p);
    expect(p.title.isWellFormed()).toBe(true);
    expect(Buffer.from(p.title, "utf8").toString("utf8")).toBe(p.title);
    for (const level of ["none", "casefold", "aggressive"] as const) {
      const q = toPair("x\udbff", "\ud800x", { ...DEFAULT_PAIR_RULES, normalise: level });
      if (typeof q === "string") throw new Error(q);
      expect(q.company.isWellFormed() && q.title.isWellFormed()).toBe(true);
    }
  });

  it("refuses a pair too large for one model request on its own", () => {
    const big = { ...DEFAULT_PAIR_RULES, maxFieldChars: 1_000_000, maxPairBytes: 100_000 };
    expect(toPair("Acme", "x".repeat(60_000), big)).not.toBe("too-large");
    expect(toPair("Acme", "é".repeat(60_000), big)).toBe("too-large"); // 120,000 bytes of UTF-8
  });
});

describe("pairWireBytes", () => {
  it("is an upper bound of the pair's encoded size, tight within a few bytes", () => {
    for (const [c, t] of [
      ["", ""],
      ["Acme", "CEO"],
      ["x".repeat(200), "é".repeat(100)],
      ["x".repeat(20_000), "😀".repeat(10_000)],
    ] as const) {
      const strings = Buffer.byteLength(c) + Buffer.byteLength(t);
      const n = pairWireBytes({ company: c, title: t });
      expect(n).toBeGreaterThanOrEqual(strings + 4);
      expect(n).toBeLessThanOrEqual(strings + 20);
    }
  });
});
