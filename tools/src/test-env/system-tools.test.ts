import { describe, expect, it } from "vitest";
import { OPTIONAL_SYSTEM_TOOLS, ensureSystemTools, type SystemToolsHost } from "./system-tools";

function host(onPath: Set<string>, o: { root: boolean; aptInstalls?: string[] }) {
  const lines: string[] = [];
  const installed: string[][] = [];
  const h: SystemToolsHost = {
    onPath: (c) => onPath.has(c),
    canApt: () => o.root,
    apt: (pkgs) => {
      installed.push(pkgs);
      for (const c of o.aptInstalls ?? []) onPath.add(c);
      return true;
    },
    log: (l) => lines.push(l),
  };
  return { h, lines, installed };
}

describe("system tools the tests start", () => {
  it("does nothing when every program is on PATH", () => {
    const { h, installed } = host(new Set(["redis-server", "redis-cli", "memcached", "openssl"]), {
      root: true,
    });
    expect(ensureSystemTools(h)).toEqual({ ok: true });
    expect(installed).toEqual([]);
  });

  it("as root with apt, installs Debian's packages for what is missing, and says so", () => {
    const { h, lines, installed } = host(new Set(["openssl"]), {
      root: true,
      aptInstalls: ["redis-server", "redis-cli", "memcached"],
    });
    expect(ensureSystemTools(h)).toEqual({ ok: true });
    expect(installed).toEqual([["redis-server", "redis-tools", "memcached"]]);
    expect(lines).toEqual([
      "tests: redis-server, redis-cli, memcached missing; installing Debian's redis-server redis-tools memcached (apt-get, as root)",
    ]);
  });

  it("without apt, stops with one line saying exactly what to install", () => {
    const { h, installed } = host(new Set(["redis-server", "openssl"]), { root: false });
    expect(ensureSystemTools(h)).toEqual({
      ok: false,
      line: "tests: redis-cli, memcached not on PATH: install them (Debian/Ubuntu: sudo apt-get install redis-tools memcached), then run again",
    });
    expect(installed).toEqual([]);
  });

  it("says so when apt ran but the programs are still missing", () => {
    const { h } = host(new Set(["redis-server", "redis-cli", "openssl"]), { root: true, aptInstalls: [] });
    expect(ensureSystemTools(h)).toEqual({
      ok: false,
      line: "tests: memcached missing and apt-get install memcached failed: install them, then run again",
    });
  });

  it("installs chromium, the optional tool, as root; without root names the package", () => {
    const asRoot = host(new Set(), { root: true, aptInstalls: ["chromium"] });
    expect(ensureSystemTools(asRoot.h, OPTIONAL_SYSTEM_TOOLS)).toEqual({ ok: true });
    expect(asRoot.installed).toEqual([["chromium"]]);
    const user = host(new Set(), { root: false });
    expect(ensureSystemTools(user.h, OPTIONAL_SYSTEM_TOOLS)).toEqual({
      ok: false,
      line: "tests: chromium not on PATH: install them (Debian/Ubuntu: sudo apt-get install chromium), then run again",
    });
  });
});
