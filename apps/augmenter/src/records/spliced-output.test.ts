import { describe, expect, it } from "vitest";
import { spliceSeniority } from "./posting";
import { SplicedOutput } from "./spliced-output";

/** What the output was before it was built in a Buffer: the string splice, one line each. */
const asStrings = (lines: Array<[string, number | null, boolean]>) =>
  lines.map(([t, v, e]) => `${spliceSeniority(t, v, e)}\n`).join("");

describe("SplicedOutput", () => {
  const lines: Array<[string, number | null, boolean]> = [
    ['{"company":"A","title":"T"}', 3, false],
    ['{"company":"Zoë","title":"Ingénieur 🚀"}', 7, false],
    ["{}", null, true],
    ["{ }", 1, true],
    ['{"company":"A","title":7}', null, false],
    // Not an object's trimmed text: the general splice keeps what follows the brace.
    ['{"a":1} ', 2, false],
  ];

  it("writes the same bytes as the string splice, ASCII or not", () => {
    const out = new SplicedOutput(1000);
    for (const [t, v, e] of lines) out.add(t, v, e);
    expect(out.bytes().toString("utf8")).toBe(asStrings(lines));
  });

  it("grows past a size that assumed ASCII text", () => {
    const out = new SplicedOutput(1);
    const many = Array.from({ length: 500 }, (_, i): [string, number, boolean] => [
      `{"company":"Société ${i}","title":"${"é".repeat(i % 50)}"}`,
      (i % 7) + 1,
      false,
    ]);
    for (const [t, v, e] of many) out.add(t, v, e);
    expect(out.bytes().equals(Buffer.from(asStrings(many), "utf8"))).toBe(true);
  });

  it("leaves a view it gave out readable when it grows afterwards", () => {
    const out = new SplicedOutput(100_000);
    const first: [string, number, boolean] = [`{"t":"${"a".repeat(90_000)}"}`, 3, false];
    out.add(...first);
    const view = out.bytes();
    out.add(`{"t":"${"b".repeat(200_000)}"}`, 4, false); // grows past 100,000
    expect(view.toString("utf8")).toBe(asStrings([first]));
  });
});
