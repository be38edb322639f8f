import { Readable } from "node:stream";
import { DEFAULT_PAIR_RULES } from "@rl/cache";
import { describe, expect, it } from "vitest";
import { compactJson, removeTopLevelKey } from "./json-text";
import { readLines, type RawLine } from "./line-reader";
import { inspectPosting, spliceSeniority } from "./posting";
import { RecordAssembler, type AssembledRecord } from "./record-assembler";

async function lines(chunks: Array<string | Buffer>, max = 1 << 20): Promise<RawLine[]> {
  const out: RawLine[] = [];
  for await (const batch of readLines(Readable.from(chunks.map((c) => Buffer.from(c))), max))
    out.push(...batch);
  return out;
}
async function assemble(input: string | Buffer, limits = { maxRecordLines: 100, maxRecordBytes: 1 << 20 }) {
  const a = new RecordAssembler(limits);
  const out: AssembledRecord[] = [];
  const buf = Buffer.from(input);
  // Feed in awkward 7-byte chunks so every boundary case is crossed.
  const chunks = Array.from({ length: Math.ceil(buf.length / 7) }, (_, i) => buf.subarray(i * 7, i * 7 + 7));
  for await (const batch of readLines(Readable.from(chunks), limits.maxRecordBytes))
    for (const l of batch) a.push(l, out);
  a.end(out);
  return { out, blank: a.blankLines };
}
/** What the file processor writes for one input: the spliced line, or null for a dead letter. */
async function augmentOne(input: string, seniority = 3): Promise<Array<string | null>> {
  const { out } = await assemble(input);
  return out.map((r) => {
    if (r.kind === "dead") return null;
    const v = inspectPosting(r, DEFAULT_PAIR_RULES);
    return v.ok ? spliceSeniority(v.text, typeof v.pair === "string" ? null : seniority, v.empty) : null;
  });
}

describe("readLines", () => {
  it("splits across chunk boundaries, keeps a last line without newline, numbers lines", async () => {
    const got = await lines(["ab", "c\nde", "f\n\ng"]);
    expect(got.map((l) => [l.no, l.text])).toEqual([
      [1, "abc"],
      [2, "def"],
      [3, ""],
      [4, "g"],
    ]);
  });
  it("flags invalid UTF-8 with its bytes, even when split mid-character", async () => {
    const got = await lines([Buffer.from([0x7b, 0xc3]), Buffer.from([0xa9, 0x7d, 0x0a, 0xff, 0x0a])]);
    expect(got[0]?.text).toBe("{é}");
    expect(got[1]?.bytes).toEqual(Buffer.from([0xff]));
  });
  it("reads whole lines of an ASCII chunk as the per-line decode does, sizes in bytes", async () => {
    const got = await lines(['{"a":1}\r\n\n{"b":2}\n', "é\nx\n"]);
    expect(got).toEqual([
      { no: 1, text: '{"a":1}\r', size: 9 },
      { no: 2, text: "", size: 1 },
      { no: 3, text: '{"b":2}', size: 8 },
      { no: 4, text: "é", size: 3 },
      { no: 5, text: "x", size: 2 },
    ]);
    const long = await lines([`${"y".repeat(50)}\nok\n`], 40);
    expect(long[0]).toMatchObject({ no: 1, overflowBytes: 50 });
    expect(long[1]).toEqual({ no: 2, text: "ok", size: 3 });
  });

  it("reads an ASCII chunk larger than its decode window line for line, a line longer than the window too", async () => {
    // Lengths that end lines on, before and after the 64 KiB window's edges, and one longer.
    const want = [0, 5, 65_530, 3, 1, 70_000, 0, 65_536, 12, 200_000, 7].map((n, i) =>
      String.fromCharCode(97 + (i % 26)).repeat(n),
    );
    const chunk = want.map((t) => `${t}\n`).join("");
    const got = await lines([chunk, "tail"]);
    expect(got.map((l) => l.text)).toEqual([...want, "tail"]);
    expect(got.map((l) => l.size)).toEqual([...want.map((t) => t.length + 1), 4]);
  });

  it("bounds a long line: keeps its head and counts its length", async () => {
    const got = await lines(["x".repeat(30), "y".repeat(30), "\nok\n"], 40);
    expect(got[0]).toMatchObject({ no: 1, overflowBytes: 60 });
    expect(got[0]?.bytes?.length).toBe(40);
    expect(got[1]).toEqual({ no: 2, text: "ok", size: 3 });
    const one = await lines(["z".repeat(100) + "\n"], 40);
    expect(one[0]).toMatchObject({ overflowBytes: 100 });
  });
});

describe("splice (design.md §2.2)", () => {
  const cases: Array<[string, string, Array<string | null>]> = [
    [
      "keeps every byte, separators and key order",
      '{"url": "u", "company": "Acme", "title": "CEO", "n": 1}\n',
      ['{"url": "u", "company": "Acme", "title": "CEO", "n": 1,"seniority":3}'],
    ],
    [
      "keeps escapes and big integers",
      '{"company":"A\\u00e9\\"q","title":"T","id":123456789012345678901234567890}\n',
      ['{"company":"A\\u00e9\\"q","title":"T","id":123456789012345678901234567890,"seniority":3}'],
    ],
    [
      "drops trailing white space and CR",
      '{"company":"A","title":"T"}  \r\n',
      ['{"company":"A","title":"T","seniority":3}'],
    ],
    ["strips a BOM", '\uFEFF{"company":"A","title":"T"}\n', ['{"company":"A","title":"T","seniority":3}']],
    [
      "null for missing, non-string or empty company/title",
      '{"title":"T"}\n{"company":"A","title":7}\n{"company":" ","title":"T"}\n',
      [
        '{"title":"T","seniority":null}',
        '{"company":"A","title":7,"seniority":null}',
        '{"company":" ","title":"T","seniority":null}',
      ],
    ],
    ["empty object gets no comma", "{}\n{ }\n", ['{"seniority":null}', '{ "seniority":null}']],
    [
      "replaces an existing seniority key and moves it last",
      '{"seniority": 9, "company":"A","title":"T"}\n{"seniority":1}\n',
      ['{"company":"A","title":"T","seniority":3}', '{"seniority":null}'],
    ],
    [
      "keeps duplicate keys' text; JSON.parse's last value decides",
      '{"company":"X","company":"A","title":"T"}\n',
      ['{"company":"X","company":"A","title":"T","seniority":3}'],
    ],
    [
      "__proto__ and constructor keys are plain data",
      '{"__proto__":{"x":1},"constructor":"c","company":"A","title":"T"}\n',
      ['{"__proto__":{"x":1},"constructor":"c","company":"A","title":"T","seniority":3}'],
    ],
    [
      "skips blank lines",
      '\n   \n{"company":"A","title":"T"}\n\n',
      ['{"company":"A","title":"T","seniority":3}'],
    ],
    [
      "dead-letters what is not JSON, keeps the rest",
      'not json\n{"company":"A"\n{"company":"A","title":"T"}\n',
      [null, null, '{"company":"A","title":"T","seniority":3}'],
    ],
    // An unclosed object absorbs the unindented line after it (zero-indent pretty-printing is
    // legal), and both go to one dead letter with both lines' text: nothing is lost.
    [
      "keeps an unclosed object and what it absorbed in one dead letter",
      '{"company":"A"\nnot json\n{"company":"B","title":"T"}\n',
      [null, '{"company":"B","title":"T","seniority":3}'],
    ],
    ["dead-letters arrays and scalars", '["A","T"]\n"x"\n42\nnull\n', [null, null, null, null]],
  ];
  it.each(cases)("%s", async (_name, input, expected) => {
    expect(await augmentOne(input)).toEqual(expected);
  });

  it("joins a pretty-printed object into one line, keeping values exact", async () => {
    const input =
      '{\n  "company": "A",\n  "title": "T",\n  "big": 12345678901234567890,\n  "tags": [\n    "x y"\n  ]\n}\n{"company":"B","title":"T"}\n';
    const { out } = await assemble(input);
    expect(out.map((r) => r.kind)).toEqual(["record", "record"]);
    expect(await augmentOne(input)).toEqual([
      '{"company":"A","title":"T","big":12345678901234567890,"tags":["x y"],"seniority":3}',
      '{"company":"B","title":"T","seniority":3}',
    ]);
    expect(out[0]).toMatchObject({ line: 1, multiLine: true });
    expect(out[1]).toMatchObject({ line: 9 });
  });

  it("does not let a truncated line swallow the good lines after it", async () => {
    const { out } = await assemble(
      '{"company": "A", \n{"company":"B","title":"T"}\n{"company":"C","title":"T"}\n',
    );
    expect(out.map((r) => [r.kind, r.line])).toEqual([
      ["dead", 1],
      ["record", 2],
      ["record", 3],
    ]);
    const inString = await assemble('{"company": "A\n{"company":"B","title":"T"}\n');
    expect(inString.out.map((r) => r.kind)).toEqual(["dead", "record"]);
  });

  it("bounds a runaway object and reports where it started", async () => {
    const input = "{\n" + '  "a": 1,\n'.repeat(20);
    const { out } = await assemble(input, { maxRecordLines: 10, maxRecordBytes: 1 << 20 });
    expect(out[0]).toMatchObject({ kind: "dead", line: 1, lines: 10 });
    expect(out.every((r) => r.kind === "dead")).toBe(true);
  });

  it("names the line and reason of each dead letter", async () => {
    const { out, blank } = await assemble('{"a":1}\n\n{"b":\n');
    expect(blank).toBe(1);
    expect(out[1]).toMatchObject({
      kind: "dead",
      line: 3,
      reason: "object not closed at the end of the file",
      raw: '{"b":',
    });
  });
});

describe("JSON text helpers", () => {
  it("compacts outside strings only", () => {
    expect(compactJson('{ "a b" : [ 1 , "c\\" d" ] }')).toBe('{"a b":[1,"c\\" d"]}');
  });
  it("removes every top-level occurrence of a key, not nested ones", () => {
    expect(
      removeTopLevelKey(
        '{"seniority":1,"x":{"seniority":2},"seniority":[3,{"y":"}"}],"z":"a,b"}',
        "seniority",
      ),
    ).toBe('{"x":{"seniority":2},"z":"a,b"}');
  });
});
