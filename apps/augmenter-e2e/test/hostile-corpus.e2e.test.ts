import { buffer } from "node:stream/consumers";
import { gunzipSync, gzipSync } from "node:zlib";
import { seededSeniority } from "mock-seniority-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SEED,
  augmenterEnv,
  readText,
  scenario,
  spawnAugmenter,
  startEnv,
  type TestEnvironment,
} from "./env";

// Issue 6, hostile input: one file per case, all in one raw prefix, through one `serve` process.
// For each: the behaviour design.md §2.2 defines, dead letters naming file, line and reason,
// records = output lines + dead letters, the rest of the file intact, and the service still up.
let env: TestEnvironment;
beforeAll(async () => {
  env = await startEnv();
});
afterAll(async () => env.stop());

const ok = (company = "Acme", title = "CEO") => JSON.stringify({ company, title, url: "https://x/1" });
const sen = (c: string, t: string) => seededSeniority(SEED, c, t);
/** An input line's expected output: its bytes with the seniority spliced before the last brace. */
const spliced = (line: string, c: string, t: string) => `${line.slice(0, -1)},"seniority":${sen(c, t)}}`;

interface Case {
  name: string;
  body: Buffer | string;
  /** Expected output lines, in order (exact bytes). */
  out: string[];
  /** Expected dead letters: line number and a pattern of the reason. */
  dead?: Array<[number, RegExp]>;
}

const deep = `{"company":"Deep","title":"Nest","x":${"[".repeat(5000)}${"]".repeat(5000)}}`;
const big = `{"company":"Big","title":"Int","id":123456789012345678901234567890}`;
const proto = `{"__proto__":{"polluted":true},"constructor":{"prototype":1},"company":"Proto","title":"Keys"}`;
const dup = `{"company":"First","company":"Second","title":"Dup"}`;
const escaped = `{"company":"\\u0041cme","title":"C\\u0045O"}`;
/** A line with company and title as JSON text (escapes kept as written). */
const raw2 = (c: string, t: string) => `{"company":"${c}","title":"${t}"}`;
/** Expected output of raw2(c, t) whose normalised pair is (nc, nt). */
const rawOut = (c: string, t: string, nc: string, nt: string) =>
  `${raw2(c, t).slice(0, -1)},"seniority":${sen(nc, nt)}}`;
/**
 * A suffix for which the model's answers for ("Acme\0CEO<i>", "Intern") and ("Acme",
 * "CEO<i>\0Intern") differ, so a value given to the other pair shows.
 */
const nulSuffix = (() => {
  for (let i = 0; ; i++)
    if (sen(`Acme\u0000CEO${i}`, "Intern") !== sen("Acme", `CEO${i}\u0000Intern`)) return String(i);
})();
const at1000 = "x".repeat(1000);
const over1000 = "x".repeat(1001);
const CASES: Case[] = [
  {
    // Issue 11: a pair is two strings; NUL may sit in either, and where it sits matters.
    name: "nul-in-fields.jsonl",
    body: [
      raw2(`Acme\\u0000CEO${nulSuffix}`, "Intern"),
      raw2("Acme", `CEO${nulSuffix}\\u0000Intern`),
      raw2("\\u0000", "Lead"),
      raw2("", "\\u0000Lead"),
    ].join("\n"),
    out: [
      rawOut(`Acme\\u0000CEO${nulSuffix}`, "Intern", `Acme\u0000CEO${nulSuffix}`, "Intern"),
      rawOut("Acme", `CEO${nulSuffix}\\u0000Intern`, "Acme", `CEO${nulSuffix}\u0000Intern`),
      rawOut("\\u0000", "Lead", "\u0000", "Lead"),
      `${raw2("", "\\u0000Lead").slice(0, -1)},"seniority":null}`,
    ],
  },
  {
    // Lone surrogates of both kinds become U+FFFD before hashing and sending (the mock, like a
    // Python server, rejects ill-formed UTF-8).
    name: "lone-surrogates.jsonl",
    body: [raw2("Acme", "\\ud800 Engineer"), raw2("\\udc00Corp", "Lead \\udbff\\udbff")].join("\n"),
    out: [
      rawOut("Acme", "\\ud800 Engineer", "Acme", "\ufffd Engineer"),
      rawOut("\\udc00Corp", "Lead \\udbff\\udbff", "\ufffdCorp", "Lead \ufffd\ufffd"),
    ],
  },
  {
    // NFD and NFC spell one pair; U+2028 / U+2029 are white space, folded like any other.
    name: "unicode-forms.jsonl",
    body: [
      raw2("Zu\u0308rich AG", "CFO"),
      raw2("Z\u00fcrich AG", "CFO"),
      raw2("Acme", "Data\u2028Engineer\u2029"),
    ].join("\n"),
    out: [
      rawOut("Zu\u0308rich AG", "CFO", "Z\u00fcrich AG", "CFO"),
      rawOut("Z\u00fcrich AG", "CFO", "Z\u00fcrich AG", "CFO"),
      rawOut("Acme", "Data\u2028Engineer\u2029", "Acme", "Data Engineer"),
    ],
  },
  {
    // 1,000 characters is a company or a title; 1,001 (and 5,000) is not: null, never sent.
    name: "field-limits.jsonl",
    body: [
      raw2(at1000, "CEO"),
      raw2("Acme", at1000),
      raw2(over1000, "CEO"),
      raw2("Acme", over1000),
      raw2("x".repeat(5000), "CEO"),
      raw2(`  ${at1000}  `, "CEO"),
    ].join("\n"),
    out: [
      rawOut(at1000, "CEO", at1000, "CEO"),
      rawOut("Acme", at1000, "Acme", at1000),
      `${raw2(over1000, "CEO").slice(0, -1)},"seniority":null}`,
      `${raw2("Acme", over1000).slice(0, -1)},"seniority":null}`,
      `${raw2("x".repeat(5000), "CEO").slice(0, -1)},"seniority":null}`,
      rawOut(`  ${at1000}  `, "CEO", at1000, "CEO"),
    ],
  },
  {
    name: "malformed.jsonl",
    body: `${ok()}\n{"company": "Acme", "title": \n${ok("B", "T")}\n`,
    out: [spliced(ok(), "Acme", "CEO"), spliced(ok("B", "T"), "B", "T")],
    dead: [[2, /invalid JSON|not closed/]],
  },
  {
    name: "no-final-newline.jsonl",
    body: `${ok()}\n${ok("B", "T")}`,
    out: [spliced(ok(), "Acme", "CEO"), spliced(ok("B", "T"), "B", "T")],
  },
  {
    name: "blank-lines.jsonl",
    body: `\n${ok()}\n\n  \n${ok("B", "T")}\n\n`,
    out: [spliced(ok(), "Acme", "CEO"), spliced(ok("B", "T"), "B", "T")],
  },
  {
    name: "crlf.jsonl",
    body: `${ok()}\r\n${ok("B", "T")}\r\n`,
    out: [spliced(ok(), "Acme", "CEO"), spliced(ok("B", "T"), "B", "T")],
  },
  { name: "bom.jsonl", body: `\uFEFF${ok()}\n`, out: [spliced(ok(), "Acme", "CEO")] },
  {
    name: "invalid-utf8.jsonl",
    body: Buffer.concat([
      Buffer.from(`${ok()}\n{"company":"`),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(`","title":"T"}\n${ok("B", "T")}\n`),
    ]),
    out: [spliced(ok(), "Acme", "CEO"), spliced(ok("B", "T"), "B", "T")],
    dead: [[2, /invalid UTF-8/]],
  },
  {
    name: "nul-bytes.jsonl",
    body: `${ok()}\n{"company":"A\u0000B","title":"T"}\n`,
    out: [spliced(ok(), "Acme", "CEO")],
    dead: [[2, /invalid JSON/]],
  },
  { name: "deep-nesting.jsonl", body: `${deep}\n`, out: [spliced(deep, "Deep", "Nest")] },
  {
    name: "not-objects.jsonl",
    body: `[1,2]\n"text"\n42\nnull\n${ok()}\n`,
    out: [spliced(ok(), "Acme", "CEO")],
    dead: [
      [1, /not a JSON object/],
      [2, /not a JSON object/],
      [3, /not a JSON object/],
      [4, /not a JSON object/],
    ],
  },
  {
    name: "unusable-company-title.jsonl",
    body: `{"title":"CEO"}\n{"company":7,"title":"CEO"}\n{"company":"","title":"CEO"}\n{"company":"Acme","title":"   "}\n{}\n`,
    out: [
      `{"title":"CEO","seniority":null}`,
      `{"company":7,"title":"CEO","seniority":null}`,
      `{"company":"","title":"CEO","seniority":null}`,
      `{"company":"Acme","title":"   ","seniority":null}`,
      `{"seniority":null}`,
    ],
  },
  {
    name: "pretty-printed.jsonl",
    body: `{\n  "company": "Acme",\n  "title": "CEO"\n}\n${ok("B", "T")}\n`,
    out: [
      `{"company":"Acme","title":"CEO","seniority":${sen("Acme", "CEO")}}`,
      spliced(ok("B", "T"), "B", "T"),
    ],
  },
  {
    name: "existing-seniority.jsonl",
    body: `{"seniority":99,"company":"Acme","title":"CEO"}\n`,
    out: [`{"company":"Acme","title":"CEO","seniority":${sen("Acme", "CEO")}}`],
  },
  { name: "duplicate-keys.jsonl", body: `${dup}\n`, out: [spliced(dup, "Second", "Dup")] },
  { name: "proto-keys.jsonl", body: `${proto}\n`, out: [spliced(proto, "Proto", "Keys")] },
  { name: "big-integers.jsonl", body: `${big}\n`, out: [spliced(big, "Big", "Int")] },
  { name: "escaped-unicode.jsonl", body: `${escaped}\n`, out: [spliced(escaped, "Acme", "CEO")] },
  { name: "empty.jsonl", body: "", out: [] },
  {
    name: "gzipped.jsonl.gz",
    body: gzipSync(`${ok()}\n${ok("B", "T")}\n`),
    out: [spliced(ok(), "Acme", "CEO"), spliced(ok("B", "T"), "B", "T")],
  },
  { name: "unusual key é + %20 (1).jsonl", body: `${ok()}\n`, out: [spliced(ok(), "Acme", "CEO")] },
];

describe("hostile input corpus (one serve process)", () => {
  it("every case behaves as design.md §2.2 says; the service stays up; corrupt gzip is set aside at once; other keys are ignored", async () => {
    const s = await scenario(env);
    const raw = s.store("raw");
    for (const c of CASES) await raw.put(c.name, c.body);
    await raw.put(
      "corrupt.jsonl.gz",
      Buffer.concat([gzipSync(`${ok()}\n`).subarray(0, 12), Buffer.from("garbage")]),
    );
    await raw.put("notes.txt", "not an input");
    await raw.put("folder/1721183880.jsonl", `${ok()}\n`);
    const tiny = 1500;
    for (let i = 0; i < tiny; i += 100)
      await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          raw.put(`tiny-${String(i + j).padStart(5, "0")}.jsonl`, `${ok("Tiny", `T${i + j}`)}\n`),
        ),
      );
    const p = spawnAugmenter(
      ["serve"],
      augmenterEnv(env, s, {
        POLL_INTERVAL_MS: "300",
        FILE_RETRY_BASE_MS: "100",
        FILE_MAX_ATTEMPTS: "2",
        FILE_CONCURRENCY: "8",
        HTTP_PORT: "0",
      }),
    );
    try {
      const outputs = async () => {
        const keys = new Set<string>();
        for await (const o of s.store("mod").list()) keys.add(o.key);
        return keys;
      };
      const want = CASES.length + tiny;
      const deadline = Date.now() + 180_000;
      while ((await outputs()).size < want || !p.out().includes("file set aside")) {
        if (Date.now() > deadline)
          throw new Error(`not all outputs after 180 s (${(await outputs()).size}/${want}):\n${p.err()}`);
        await new Promise((r) => setTimeout(r, 300));
      }
      expect(p.child.exitCode).toBe(null);
      const logs = p.out();
      // Through the file queue (a Redis cache): corrupt gzip can never succeed, so it is set aside
      // at its first try rather than retried.
      expect(logs).toMatch(
        /"file":"corrupt\.jsonl\.gz".*"attempt":1,.*"msg":"file set aside: its input can never be processed as it is/,
      );
      expect(logs).not.toMatch(/"file":"corrupt\.jsonl\.gz".*"msg":"file failed; it will be retried/);
      expect(logs).toMatch(/"key":"notes\.txt".*"msg":"ignoring a key/);
      expect(logs).toMatch(/"key":"folder\/1721183880\.jsonl".*"msg":"ignoring a key/);
      const have = await outputs();
      expect(have.has("corrupt.jsonl.gz")).toBe(false);
      for (const c of CASES) {
        const body = await buffer(await s.store("mod").get(c.name));
        const out = (c.name.endsWith(".gz") ? gunzipSync(body) : body).toString("utf8").split("\n");
        expect(out.pop(), `${c.name}: output ends with a newline`).toBe("");
        expect(out, c.name).toEqual(c.out);
        const deadKey = c.name.replace(/\.gz$/, "");
        const deadObj = await s.store("errors").head(deadKey);
        const dead = deadObj
          ? (await readText(s.store("errors"), deadKey))
              .trim()
              .split("\n")
              .map((l) => JSON.parse(l) as { file: string; line: number; reason: string })
          : [];
        expect(
          dead.map((d) => d.line),
          `${c.name}: dead-lettered lines`,
        ).toEqual((c.dead ?? []).map(([line]) => line));
        dead.forEach((d, i) => {
          expect(d.file).toBe(c.name);
          expect(d.reason).toMatch(c.dead?.[i]?.[1] ?? /never/);
        });
      }
      for (let i = 0; i < tiny; i += 250) {
        const k = `tiny-${String(i).padStart(5, "0")}.jsonl`;
        expect(await readText(s.store("mod"), k)).toBe(`${spliced(ok("Tiny", `T${i}`), "Tiny", `T${i}`)}\n`);
      }
      p.child.kill("SIGTERM");
      expect(await p.exited).toBe(0);
    } finally {
      p.child.kill("SIGKILL");
    }
  }, 300_000);
});
