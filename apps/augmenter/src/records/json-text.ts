// Small scanners over JSON text that JSON.parse has already accepted (or, for the depth scan,
// text still being assembled). They let the output keep the input's exact bytes where the
// design allows no re-serialisation, and keep big integers and escapes exact where it does.

/** Drops JSON's insignificant white space (outside strings), turning a multi-line object into one line. */
export function compactJson(text: string): string {
  let out = "";
  let runStart = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped char
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 32 || c === 9 || c === 10 || c === 13) {
      out += text.slice(runStart, i);
      runStart = i + 1;
    }
  }
  return out + text.slice(runStart);
}

/** Index just past the JSON value starting at `i` (valid JSON assumed). */
function skipValue(text: string, i: number): number {
  let depth = 0;
  let inString = false;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) {
        inString = false;
        if (depth === 0) return i + 1;
      }
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      if (depth === 0) return i; // end of the enclosing container
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && (c === 44 || c === 32 || c === 9 || c === 10 || c === 13)) return i;
  }
  return i;
}

const isWs = (c: number) => c === 32 || c === 9 || c === 10 || c === 13;

/**
 * Removes every top-level member named `key` from a JSON object's text, keeping the other
 * members' text exactly (separators become a bare comma).
 */
export function removeTopLevelKey(text: string, key: string): string {
  const open = text.indexOf("{");
  const kept: string[] = [];
  let i = open + 1;
  for (;;) {
    while (i < text.length && isWs(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) === 125) break; // "}"
    const memberStart = i;
    const keyEnd = skipValue(text, i);
    const name = JSON.parse(text.slice(i, keyEnd)) as string;
    i = keyEnd;
    while (isWs(text.charCodeAt(i))) i++;
    i++; // ":"
    while (isWs(text.charCodeAt(i))) i++;
    const valueEnd = skipValue(text, i);
    if (name !== key) kept.push(text.slice(memberStart, valueEnd));
    i = valueEnd;
    while (isWs(text.charCodeAt(i))) i++;
    if (text.charCodeAt(i) === 44)
      i++; // ","
    else break;
  }
  return `{${kept.join(",")}}`;
}

/** Structural state of text being assembled across lines. */
export interface ScanState {
  depth: number;
  inString: boolean;
}

/** Advances the depth scan over one more line; strings cannot span lines in JSON. */
export function scanLine(text: string, state: ScanState): void {
  let { depth, inString } = state;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) depth--;
  }
  state.depth = depth;
  state.inString = inString;
}
