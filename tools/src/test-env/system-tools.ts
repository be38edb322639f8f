import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";

/** The programs the tests start themselves, and the Debian package of each. */
export const SYSTEM_TOOLS = [
  { command: "redis-server", debian: "redis-server" },
  { command: "redis-cli", debian: "redis-tools" },
  { command: "memcached", debian: "memcached" },
  { command: "openssl", debian: "openssl" },
] as const;

/**
 * Programs only some tests need: installed like the others where possible, but without them the
 * run goes on and those tests skip, saying why (a developer without root still runs the rest).
 */
export const OPTIONAL_SYSTEM_TOOLS = [{ command: "chromium", debian: "chromium" }] as const;

interface SystemTool {
  readonly command: string;
  readonly debian: string;
}

export interface SystemToolsHost {
  onPath(command: string): boolean;
  /** Whether Debian's packages can be installed here: root with apt-get. */
  canApt(): boolean;
  apt(packages: string[]): boolean;
  log(line: string): void;
}

export const realHost: SystemToolsHost = {
  onPath: (command) =>
    (process.env.PATH ?? "").split(delimiter).some((dir) => {
      try {
        accessSync(join(dir, command), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    }),
  canApt: () => process.getuid?.() === 0 && existsSync("/usr/bin/apt-get"),
  apt: (packages) => {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const run = (args: string[]) =>
      spawnSync("apt-get", args, { stdio: ["ignore", "ignore", "inherit"], env }).status === 0;
    const ok =
      run(["update", "-qq"]) && run(["install", "-y", "-qq", "--no-install-recommends", ...packages]);
    // The redis-server package may start a system Redis on 6379; the tests never use it. Only
    // one this install started: a Redis that was there before is someone else's.
    const pidFile = "/run/redis/redis-server.pid";
    if (packages.includes("redis-server") && existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0) {
        try {
          process.kill(pid);
        } catch {
          // already gone
        }
      }
    }
    return ok;
  },
  log: (line) => process.stderr.write(`${line}\n`),
};

/**
 * Makes sure the programs the tests start are on PATH: installs Debian's packages for the
 * missing ones where it can (root with apt-get), else returns the one line that says exactly
 * what to install, so a run stops at once instead of failing test after test.
 */
export function ensureSystemTools(
  host: SystemToolsHost = realHost,
  tools: readonly SystemTool[] = SYSTEM_TOOLS,
): { ok: true } | { ok: false; line: string } {
  const missing = tools.filter((t) => !host.onPath(t.command));
  if (missing.length === 0) return { ok: true };
  const packages = [...new Set(missing.map((t) => t.debian))];
  const what = missing.map((t) => t.command).join(", ");
  if (host.canApt()) {
    host.log(`tests: ${what} missing; installing Debian's ${packages.join(" ")} (apt-get, as root)`);
    if (host.apt(packages) && missing.every((t) => host.onPath(t.command))) return { ok: true };
    return {
      ok: false,
      line: `tests: ${what} missing and apt-get install ${packages.join(" ")} failed: install them, then run again`,
    };
  }
  return {
    ok: false,
    line: `tests: ${what} not on PATH: install them (Debian/Ubuntu: sudo apt-get install ${packages.join(" ")}), then run again`,
  };
}
