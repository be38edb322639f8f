import { createSeniorityClient, inferSeniority, type SeniorityRequest } from "@rl/proto";

export interface MockLoadOptions {
  address: string;
  /** Pairs to send in all. */
  pairs: number;
  /** Pairs per RPC. */
  batch: number;
  /** RPCs in flight at once. */
  concurrency: number;
  /** Distinct prefix so runs never repeat each other's pairs. */
  prefix: string;
}

export interface MockLoadResult {
  pairs: number;
  rpcs: number;
  errors: number;
  seconds: number;
  pairsPerSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
}

/** Sends `pairs` distinct pairs as fast as the server takes them and measures what it sustained. */
export async function runMockLoad(o: MockLoadOptions): Promise<MockLoadResult> {
  const client = createSeniorityClient(o.address);
  const batches = Math.ceil(o.pairs / o.batch);
  let next = 0;
  let errors = 0;
  let answered = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  const worker = async () => {
    while (next < batches) {
      const b = next++;
      const size = Math.min(o.batch, o.pairs - b * o.batch);
      const batch: SeniorityRequest[] = Array.from({ length: size }, (_, i) => ({
        uuid: i,
        company: `${o.prefix} company ${b}`,
        title: `title ${i}`,
      }));
      const s = performance.now();
      try {
        // Await first: `answered += await ...` would read `answered` before the await and
        // lose the other workers' updates.
        const res = await inferSeniority(client, batch);
        answered += res.length;
      } catch {
        errors += 1;
      }
      latencies.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  client.close();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return {
    pairs: answered,
    rpcs: batches,
    errors,
    seconds,
    pairsPerSecond: answered / seconds,
    latencyMs: { p50: q(0.5), p99: q(0.99), max: latencies[latencies.length - 1] ?? 0 },
  };
}
