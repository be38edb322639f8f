// Bundles one app into dist/apps/<name>/main.js with esbuild: workspace libs (@rl/*) are
// compiled in, npm packages stay external and load from node_modules (native addons such as
// lmdb cannot be bundled). The bundle runs on plain Node >= 20.19, no tsx needed.
import { build } from "esbuild";
import { fileURLToPath } from "node:url";

const app = process.argv[2];
if (!app) {
  console.error("usage: node tools/build-app.mjs <app-name>");
  process.exit(2);
}
const root = fileURLToPath(new URL("..", import.meta.url));
const externalPackages = {
  name: "external-packages",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith("@rl/") || args.path.startsWith("node:")) return undefined;
      return { path: args.path, external: true };
    });
  },
};
await build({
  entryPoints: [`${root}apps/${app}/src/main.ts`],
  outfile: `${root}dist/apps/${app}/main.js`,
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
