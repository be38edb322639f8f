import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { client, inferSeniority, pairs } from "./grpc-helpers";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));
const tsx = `${root}node_modules/.bin/tsx`;

function run(args: string[]) {
  const child = spawn(tsx, [main, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, exited, stderr: () => stderr };
}

describe("mock-seniority-server CLI", () => {
  it("serves on the port it reports and exits 0 on SIGTERM", async () => {
    const p = run(["--port", "0", "--metrics-port", "0", "--rate", "5000"]);
    const lines = createInterface({ input: p.child.stdout });
    const first = await new Promise<string>((resolve) => lines.once("line", resolve));
    const { address, metricsPort } = JSON.parse(first) as { address: string; metricsPort: number };
    const c = client(address);
    expect(await inferSeniority(c, pairs(5))).toHaveLength(5);
    c.close();
    const stats = (await (await fetch(`http://127.0.0.1:${metricsPort}/stats`)).json()) as {
      pairsReceived: number;
    };
    expect(stats.pairsReceived).toBe(5);
    p.child.kill("SIGTERM");
    expect(await p.exited).toBe(0);
  });

  it("exits 2 naming each bad flag and what it accepts", async () => {
    const p = run(["--rate", "fast", "--error-status", "NOPE"]);
    expect(await p.exited).toBe(2);
    expect(p.stderr()).toContain('--rate (or MOCK_RATE): expected a number >= 1, got "fast"');
    expect(p.stderr()).toContain(
      "--error-status (or MOCK_ERROR_STATUS): expected one of UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, RESOURCE_EXHAUSTED",
    );
  });
});
