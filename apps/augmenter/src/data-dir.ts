import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPOSITORY = "seniority-augmentation";

/** The repository root when this code runs from a checkout (sources or `dist/apps/augmenter`). */
function repositoryRoot(moduleUrl: string): string | undefined {
  // apps/augmenter/src/<file> and dist/apps/augmenter/main.js both sit three levels down.
  const root = fileURLToPath(new URL("../../../", moduleUrl));
  try {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name?: string };
    return pkg.name === REPOSITORY ? root : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where the augmenter keeps its state by default (the embedded cache), whatever the working
 * directory, so `npm run augmenter`, `nx serve augmenter`, the built bundle and a cron job all
 * find the same cache: `DATA_DIR` when set; else the checkout's `.data/`; else, installed
 * elsewhere (an image), `$XDG_DATA_HOME/seniority-augmenter` (`~/.local/share/...`).
 */
export function defaultDataDir(
  env: Readonly<Record<string, string | undefined>>,
  moduleUrl: string = import.meta.url,
): string {
  if (env.DATA_DIR) return resolve(env.DATA_DIR);
  const root = repositoryRoot(moduleUrl);
  if (root) return join(root, ".data");
  return join(env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "seniority-augmenter");
}
