import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPOSITORY = "seniority-augmentation";

/** The repository root when this code runs from a checkout (sources or a `dist/apps/<app>` bundle). */
function repositoryRoot(moduleUrl: string): string | undefined {
  // libs/cli/src/<file> and dist/apps/<app>/main.js (where this module is bundled) both sit
  // three levels down.
  const root = fileURLToPath(new URL("../../../", moduleUrl));
  try {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { name?: string };
    return pkg.name === REPOSITORY ? root : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Where every command keeps its state by default (the augmenter's embedded cache, the
 * generator's output, `npm start`'s cache), whatever the working directory, so `npm run
 * augmenter`, `nx serve augmenter`, `nx run sample-generator`, the built bundle and a cron job
 * all find the same files: `DATA_DIR` when set; else the checkout's `.data/`; else, installed
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

/**
 * The default cache every command shares: the embedded LMDB cache in the data directory
 * (`npm start` fills the cache a later `augmenter run` reads).
 */
export function defaultCacheUrl(env: Readonly<Record<string, string | undefined>>): string {
  return `lmdb:${join(defaultDataDir(env), "cache")}`;
}
