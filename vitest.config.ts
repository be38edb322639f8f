import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

// Each workspace project is a vitest project, so `npm test` runs everything and
// `vitest run --project <name>` (what each project's `test` target calls) runs one.
const projects = [
  ["@rl/proto", "libs/proto"],
  ["@rl/s3", "libs/s3"],
  ["@rl/cache", "libs/cache"],
  ["@rl/cli", "libs/cli"],
  ["@rl/random", "libs/random"],
  ["@rl/metrics", "libs/metrics"],
  ["mock-seniority-server", "apps/mock-seniority-server"],
  ["sample-generator", "apps/sample-generator"],
  ["augmenter", "apps/augmenter"],
  ["augmenter-e2e", "apps/augmenter-e2e"],
  ["tools", "tools"],
] as const;

// VITEST_SKIP_E2E=1 leaves out the e2e project (CI runs it separately through `nx e2e`).
const selected =
  process.env.VITEST_SKIP_E2E === "1" ? projects.filter(([name]) => name !== "augmenter-e2e") : projects;

export default defineConfig({
  test: {
    // redis-server, redis-cli, memcached, openssl: installed (root with apt) or named, before any test;
    // chromium too where it can be, else the browser test skips saying so.
    globalSetup: [fileURLToPath(new URL("./tools/src/test-env/global-setup.ts", import.meta.url))],
    projects: selected.map(([name, root]) => ({
      test: {
        name,
        // Absolute, so a project's own `test` script (run from its folder) finds its files.
        root: fileURLToPath(new URL(`./${root}/`, import.meta.url)),
        include: ["src/**/*.test.ts", "test/**/*.test.ts"],
        environment: "node",
        testTimeout: 30_000,
        hookTimeout: 60_000,
      },
    })),
  },
});
