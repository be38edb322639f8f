// k6 load scenario for a SeniorityModel server (the mock or the real one): batches of 1000
// distinct pairs at a constant arrival rate, checking every answer. Same scenario as the Node
// driver `npm run mock-load` (tools/src/mock-load.ts), for machines with k6.
//
//   k6 run -e MODEL_ADDR=127.0.0.1:50051 -e RATE=2 -e DURATION=30s tools/k6/mock-model.ts
import { check } from "k6";
import grpc from "k6/net/grpc";
import { Counter, Trend } from "k6/metrics";
import type { Options } from "k6/options";

const BATCH = Number(__ENV.BATCH ?? 1000);
const client = new grpc.Client();
// Loaded from the repository's contract: no package line, method /SeniorityModel/InferSeniority.
client.load(["../../libs/proto/proto"], "seniority.proto");

const pairsAnswered = new Counter("pairs_answered");
const malformed = new Counter("malformed_responses");
const batchLatency = new Trend("batch_latency", true);

export const options: Options = {
  scenarios: {
    batches: {
      executor: "constant-arrival-rate",
      rate: Number(__ENV.RATE ?? 1), // batches per second: 1 = the model's sustainable 1000 pairs/s
      timeUnit: "1s",
      duration: __ENV.DURATION ?? "30s",
      preAllocatedVUs: 8,
      maxVUs: 32,
    },
  },
  thresholds: {
    checks: ["rate>0.99"],
    malformed_responses: ["count==0"],
  },
};

interface Answer {
  uuid: number;
  seniority: number;
}

export default function (): void {
  if (__ITER === 0)
    client.connect(__ENV.MODEL_ADDR ?? "127.0.0.1:50051", { plaintext: true, timeout: "10s" });
  const batch = Array.from({ length: BATCH }, (_, i) => ({
    uuid: i,
    company: `k6 company ${__VU}-${__ITER}`,
    title: `k6 title ${i}`,
  }));
  const started = Date.now();
  const res = client.invoke("SeniorityModel/InferSeniority", { batch }, { timeout: "60s" });
  batchLatency.add(Date.now() - started);
  const answers = ((res.message as { batch?: Answer[] } | null)?.batch ?? []) as Answer[];
  const uuids = new Set(answers.map((a) => a.uuid));
  const wellFormed =
    answers.length === BATCH &&
    uuids.size === BATCH &&
    answers.every((a) => a.uuid < BATCH && a.seniority >= 1 && a.seniority <= 7);
  if (res.status === grpc.StatusOK && !wellFormed) malformed.add(1);
  if (wellFormed) pairsAnswered.add(BATCH);
  check(res, {
    "status is OK": (r) => r.status === grpc.StatusOK,
    "one well-formed answer per pair": () => wellFormed,
  });
}
