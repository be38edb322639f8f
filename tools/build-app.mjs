// Bundles one app into dist/apps/<name>/main.js with esbuild: workspace libs (@rl/*) are
// compiled in, npm packages stay external and load from node_modules (native addons such as
// lmdb cannot be bundled). The bundle runs on plain Node >= 20.19, no tsx needed.
//
// Code splitting: what an app imports with `import()` goes into chunk files beside main.js, so
// the AWS SDK, gRPC and the cache clients load only when a command needs them, not for `--help`
// (the augmenter's start-up, README "Start-up cost"). Ship the whole dist/apps/<name>/ directory.
import { build } from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { basename, relative } from "node:path";
import { fileURLToPath } from "node:url";

const [app, ...flags] = process.argv.slice(2);
// --lazy-packages: main.js itself may load no npm package, only node: builtins (the augmenter's
// `--help` and option checks); everything else through import(). Checked, so a static import
// that brings the AWS SDK back into start-up fails the build instead of going unnoticed.
const lazyPackages = flags.includes("--lazy-packages");
if (!app || flags.some((f) => f !== "--lazy-packages")) {
  console.error("usage: node tools/build-app.mjs <app-name> [--lazy-packages]");
  process.exit(2);
}
const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = `${root}dist/apps/${app}`;
const externalPackages = {
  name: "external-packages",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("@rl/") || args.path.startsWith("node:")) return undefined;
      return { path: args.path, external: true };
    });
  },
};
// Worker threads' scripts (`src/**/<name>-worker.ts`) are entry points of their own, written
// beside main.js as <name>-worker.js, where the code that starts them looks for them.
const workers = Object.fromEntries(
  readdirSync(`${root}apps/${app}/src`, { recursive: true, encoding: "utf8" })
    .filter((f) => /(^|[\\/])[\w-]+-worker\.ts$/.test(f))
    .map((f) => [basename(f, ".ts"), `${root}apps/${app}/src/${f}`]),
);
const { metafile } = await build({
  entryPoints: { main: `${root}apps/${app}/src/main.ts`, ...workers },
  outdir,
  // Chunks sit beside main.js, not in a subdirectory: code that finds the checkout from its own
  // import.meta.url (libs/cli data-dir.ts) expects to be three levels below it.
  chunkNames: "[name]-[hash]",
  splitting: true,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20.19",
  sourcemap: true,
  plugins: [externalPackages],
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
  logLevel: "warning",
  metafile: true,
});
// Chunk names carry a content hash, so chunks of earlier builds would pile up. Only those go:
// emptying the directory first would pull files from under a process started from the bundle
// (tests build it while others run it), and a rebuild of the same sources writes the same names.
const written = new Set(Object.keys(metafile.outputs).map((f) => relative(outdir, f)));
for (const f of readdirSync(outdir))
  if (/\.js(\.map)?$/.test(f) && !written.has(f)) rmSync(`${outdir}/${f}`, { force: true });
if (lazyPackages) {
  const eager = new Set();
  const seen = new Set();
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const i of metafile.outputs[file]?.imports ?? []) {
      if (i.kind !== "import-statement") continue;
      if (!i.external) visit(i.path);
      else if (!i.path.startsWith("node:")) eager.add(i.path);
    }
  };
  visit(Object.keys(metafile.outputs).find((f) => f.endsWith("/main.js")));
  if (eager.size > 0) {
    console.error(
      `dist/apps/${app}/main.js loads ${[...eager].join(", ")} at start-up (--lazy-packages): import what pulls them in with import()`,
    );
    process.exit(1);
  }
}
console.log(`built dist/apps/${app}/main.js`);
