import { mkdirSync, statSync } from "node:fs";
import { dirname } from "node:path";

/**
 * `mkdir -p` that ends. Node's own `{ recursive: true }` (sync and async, Node 20 and 24) loops
 * forever where mkdir answers ENOENT under a parent that exists, as it does anywhere in /proc:
 * `CACHE_URL=lmdb:///proc/nope` hung with no output. This creates one level at a time and
 * throws the first real error.
 */
export function makeDirectory(path: string): void {
  try {
    if (statSync(path).isDirectory()) return;
  } catch {
    // missing: create it below
  }
  const parent = dirname(path);
  if (parent !== path) makeDirectory(parent);
  try {
    mkdirSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST" && statSync(path).isDirectory()) return;
    throw err;
  }
}
