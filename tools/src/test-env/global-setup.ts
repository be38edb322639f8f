import { ensureSystemTools } from "./system-tools";

/** vitest globalSetup (vitest.config.ts): the programs the tests start, before any test runs. */
export default function setup(): void {
  const r = ensureSystemTools();
  if (!r.ok) {
    process.stderr.write(`${r.line}\n`);
    process.exit(1);
  }
}
