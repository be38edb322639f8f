// Bundles one app into dist/apps/<name>/main.js with esbuild: workspace libs (@rl/*) are
// compiled in, npm packages stay external and load from node_modules (native addons such as
// lmdb cannot be bundled). The bundle runs on plain Node >= 20.19, no tsx needed.
//
// Code splitting: what an app imports with `import()` goes into chunk files beside main.js, so
// the AWS SDK, gRPC and the cache clients load only when a command needs them, not for `--help`
// (the augmenter's start-up, README "Start-up cost"). Ship the whole dist/apps/<name>/ directory.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const app = process.argv[2];
if (!app) {
  console.error("usage: node tools/build-app.mjs <app-name>");
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
// Chunk names carry a content hash: chunks of an earlier build would pile up beside new ones.
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { main: `${root}apps/${app}/src/main.ts` },
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
});
console.log(`built dist/apps/${app}/main.js`);
