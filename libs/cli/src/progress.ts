import type { Writable } from "node:stream";

export interface ProgressOptions {
  label: string;
  /** Total units if known, for a bar and an ETA. */
  total?: number;
  unit?: string;
  /** @default process.stderr */
  stream?: Writable & { isTTY?: boolean; columns?: number };
  /** Non-TTY: one plain line at most this often. @default 10_000 */
  plainIntervalMs?: number;
}

export interface Progress {
  tick(n?: number): void;
  set(done: number): void;
  done(): void;
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** A progress bar on a TTY (redrawn at most 10 times a second), plain periodic lines otherwise. */
export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  const unit = options.unit ?? "";
  const start = performance.now();
  let done = 0;
  let lastDraw = 0;
  const interval = tty ? 100 : (options.plainIntervalMs ?? 10_000);

  const line = () => {
    const secs = (performance.now() - start) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const total = options.total;
    if (total === undefined || total <= 0) return `${options.label} ${fmt(done)} ${unit} (${fmt(rate)}/s)`;
    const frac = Math.min(1, done / total);
    const eta = rate > 0 ? Math.max(0, (total - done) / rate) : 0;
    const bar = tty ? `[${"#".repeat(Math.round(frac * 24)).padEnd(24, "-")}] ` : "";
    return `${options.label} ${bar}${(frac * 100).toFixed(1)}% ${fmt(done)}/${fmt(total)} ${unit} ${fmt(rate)}/s ETA ${eta.toFixed(0)}s`;
  };
  const draw = (force: boolean) => {
    const now = performance.now();
    if (!force && now - lastDraw < interval) return;
    lastDraw = now;
    if (tty) stream.write(`\r\x1b[2K${line()}`);
    else stream.write(`${line()}\n`);
  };
  if (!tty) lastDraw = performance.now();
  return {
    tick(n = 1) {
      done += n;
      draw(false);
    },
    set(v) {
      done = v;
      draw(false);
    },
    done() {
      if (tty) {
        draw(true);
        stream.write("\n");
      }
    },
  };
}
