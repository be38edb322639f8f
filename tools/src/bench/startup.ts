// 11. Start-up: `augmenter run --help` from the built bundle, against bare `node -e 0` in the
// same run. The two alternate, so both see whatever else loads this shared machine; the ratio
// is the figure to compare across runs. Target: 0.3 s for the bundle (README "Start-up cost").
import { spawnSync } from "node:child_process";
import { augmenterBundle } from "../augmenter-bundle";

export const STARTUP_TARGET_SECONDS = 0.3;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Wall seconds of one `node <args>` until it exits, which must be with 0. */
function wallSeconds(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { stdio: "ignore" });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${r.status ?? r.signal}`);
  return seconds;
}

export async function startup(runs = 10) {
  const bundle = await augmenterBundle();
  const node: number[] = [];
  const help: number[] = [];
  for (let i = 0; i < runs; i++) {
    node.push(wallSeconds(["-e", "0"]));
    help.push(wallSeconds([bundle, "run", "--help"]));
  }
  const round = (s: number) => +s.toFixed(3);
  return {
    runs,
    nodeMedianSeconds: round(median(node)),
    helpMedianSeconds: round(median(help)),
    helpMaxSeconds: round(Math.max(...help)),
    ratioToNode: +(median(help) / median(node)).toFixed(2),
    targetSeconds: STARTUP_TARGET_SECONDS,
  };
}
