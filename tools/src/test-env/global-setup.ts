import { OPTIONAL_SYSTEM_TOOLS, ensureSystemTools, realHost } from "./system-tools";

/**
 * vitest globalSetup (vitest.config.ts): the programs the tests start, before any test runs; the
 * optional ones (chromium, for the browser test) are installed where possible, never required.
 */
export default function setup(): void {
  const r = ensureSystemTools();
  if (!r.ok) {
    process.stderr.write(`${r.line}\n`);
    process.exit(1);
  }
  const optional = ensureSystemTools(realHost, OPTIONAL_SYSTEM_TOOLS);
  if (!optional.ok) process.stderr.write(`${optional.line} (until then the tests that need it skip)\n`);
}
