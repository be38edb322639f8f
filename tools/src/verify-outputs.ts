import { text } from "node:stream/consumers";
import { normaliseText, pairText, type NormaliseLevel } from "@rl/cache";
import type { ObjectStore } from "@rl/s3";
import { gunzipIf } from "augmenter";

export interface VerifyOptions {
  raw: ObjectStore;
  mod: ObjectStore;
  normalise: NormaliseLevel;
  /** What the model answers for a normalised pair (e.g. the mock's seededSeniority). */
  expected: (company: string, title: string) => number;
  /** Longest usable field after normalisation (the service's MAX_FIELD_CHARS): longer ones get null. @default 1000 */
  maxFieldChars?: number;
}

export interface VerifyResult {
  files: number;
  /** Output lines compared byte for byte with their input line. */
  linesChecked: number;
  /** Input lines that are not single-line objects (dead letters, multi-line, existing seniority): not compared. */
  linesNotComparable: number;
  mismatches: Array<{ file: string; line: number; expected: string; got: string }>;
  missingOutputs: string[];
  /** Distinct normalised pairs with a usable company and title, over all inputs. */
  distinctPairs: number;
}

async function readAll(store: ObjectStore, key: string): Promise<string> {
  const s = await store.get(key);
  return text(gunzipIf(key, s));
}

/**
 * Checks every output line against its input line independently of the augmenter's code:
 * the input's bytes (trailing white space dropped) with `,"seniority":N` before the closing
 * brace, N being the model's answer for the normalised pair, in input order.
 */
export async function verifyOutputs(o: VerifyOptions): Promise<VerifyResult> {
  const maxField = o.maxFieldChars ?? 1000;
  const result: VerifyResult = {
    files: 0,
    linesChecked: 0,
    linesNotComparable: 0,
    mismatches: [],
    missingOutputs: [],
    distinctPairs: 0,
  };
  const pairs = new Set<string>();
  for await (const info of o.raw.list()) {
    if (!/^[^/]+\.jsonl(\.gz)?$/.test(info.key)) continue;
    result.files += 1;
    const input = (await readAll(o.raw, info.key)).split("\n");
    const head = await o.mod.head(info.key);
    if (!head) {
      result.missingOutputs.push(info.key);
      continue;
    }
    const output = (await readAll(o.mod, info.key)).split("\n");
    if (output.pop() !== "")
      result.mismatches.push({
        file: info.key,
        line: output.length,
        expected: "a final newline",
        got: "none",
      });
    let out = 0;
    for (let i = 0; i < input.length; i++) {
      const line = (input[i] ?? "").replace(/^\uFEFF/, "").replace(/[ \t\r]+$/, "");
      if (line === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        result.linesNotComparable += 1;
        // A pretty-printed object becomes one output line: join until it parses (bounded).
        if (line.startsWith("{")) {
          for (let j = i + 1; j < Math.min(input.length, i + 200); j++) {
            try {
              JSON.parse(input.slice(i, j + 1).join("\n"));
              out += 1;
              i = j;
              break;
            } catch {
              // keep joining
            }
          }
        }
        continue;
      }
      if (
        value === null ||
        typeof value !== "object" ||
        Array.isArray(value) ||
        Object.hasOwn(value, "seniority")
      ) {
        result.linesNotComparable += 1;
        if (value !== null && typeof value === "object" && !Array.isArray(value)) out += 1;
        continue;
      }
      const v = value as Record<string, unknown>;
      let seniority: number | null = null;
      if (typeof v.company === "string" && typeof v.title === "string") {
        const c = normaliseText(v.company, o.normalise);
        const t = normaliseText(v.title, o.normalise);
        if (c !== "" && t !== "" && c.length <= maxField && t.length <= maxField) {
          seniority = o.expected(c, t);
          pairs.add(pairText(c, t));
        }
      }
      const close = line.lastIndexOf("}");
      const empty = Object.keys(v).length === 0;
      const want = `${line.slice(0, close)}${empty ? "" : ","}"seniority":${seniority}${line.slice(close)}`;
      const got = output[out] ?? "<missing line>";
      if (got === want) result.linesChecked += 1;
      else if (result.mismatches.length < 20)
        result.mismatches.push({ file: info.key, line: i + 1, expected: want, got });
      out += 1;
    }
    if (out !== output.length) {
      result.mismatches.push({
        file: info.key,
        line: input.length,
        expected: `${out} output lines`,
        got: `${output.length}`,
      });
    }
  }
  result.distinctPairs = pairs.size;
  return result;
}
