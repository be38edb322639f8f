// The built augmenter (dist/apps/augmenter/main.js), which `npm start` and the benchmarks run as
// production does: plain Node, no tsx compiling TypeScript at every start. Rebuilt when it is
// missing or older than any source it is built from; an mtime check rather than `nx build`,
// whose own start-up costs seconds on this machine even when its cache answers.
import { spawn } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const AUGMENTER_BUNDLE = `${ROOT}dist/apps/augmenter/main.js`;

/** What the bundle is built from: every workspace lib is compiled in; npm packages stay external. */
const SOURCES = ["apps/augmenter/src", "libs", "tools/build-app.mjs", "package-lock.json"];

const mtime = (path: string) => statSync(path, { throwIfNoEntry: false })?.mtimeMs;

function newestSource(): number {
  let newest = 0;
  for (const source of SOURCES) {
    const path = join(ROOT, source);
    const files = statSync(path).isDirectory()
      ? readdirSync(path, { recursive: true, encoding: "utf8" })
          .filter((f) => !f.split(/[\\/]/).includes("node_modules"))
          .map((f) => join(path, f))
      : [path];
    for (const f of files) newest = Math.max(newest, mtime(f) ?? 0);
  }
  return newest;
}

async function build(): Promise<void> {
  const child = spawn(process.execPath, [`${ROOT}tools/build-app.mjs`, "augmenter", "--lazy-packages"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`building the augmenter (tools/build-app.mjs) failed with ${code}`);
}

let ready: Promise<string> | undefined;

/** The bundle's path, built first if missing or stale; checked once per process. */
export function augmenterBundle(): Promise<string> {
  ready ??= (async () => {
    const built = mtime(AUGMENTER_BUNDLE);
    if (built === undefined || built < newestSource()) await build();
    return AUGMENTER_BUNDLE;
  })();
  return ready;
}
