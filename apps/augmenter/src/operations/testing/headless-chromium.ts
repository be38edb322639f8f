import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser } from "puppeteer-core";

/** Debian's chromium: the tests' global setup installs it where it can (root with apt-get). */
export const CHROMIUM = "/usr/bin/chromium";

/** Why a browser test cannot run here, or undefined when it can. */
export function chromiumMissing(): string | undefined {
  return existsSync(CHROMIUM)
    ? undefined
    : `${CHROMIUM} missing (Debian: apt-get install chromium; the tests install it when run as root)`;
}

export interface HeadlessChromium {
  browser: Browser;
  close(): Promise<void>;
}

/**
 * Debian's chromium, headless, driven by puppeteer-core, in a profile of its own that `close`
 * removes. `close` kills the browser by its pid when it does not quit within 5 s.
 */
export async function launchChromium(): Promise<HeadlessChromium> {
  const profile = await mkdtemp(join(tmpdir(), "chromium-"));
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true, // --headless=new, the real browser without a window
    userDataDir: profile,
    // Chromium's sandbox cannot start as root (CI runs as root); nothing untrusted is loaded.
    args: process.getuid?.() === 0 ? ["--no-sandbox"] : [],
  });
  const pid = browser.process()?.pid;
  const close = async () => {
    let timer: NodeJS.Timeout | undefined;
    const quit = await Promise.race([
      browser.close().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((r) => {
        timer = setTimeout(() => r(false), 5_000);
      }),
    ]);
    clearTimeout(timer);
    if (!quit && pid !== undefined) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await rm(profile, { recursive: true, force: true });
  };
  return { browser, close };
}
