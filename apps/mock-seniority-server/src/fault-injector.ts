import * as grpc from "@grpc/grpc-js";
import type { SeniorityResponse } from "@rl/proto";

export type ErrorStatusName = "UNAVAILABLE" | "DEADLINE_EXCEEDED" | "INTERNAL" | "RESOURCE_EXHAUSTED";
export const ERROR_STATUS_NAMES: readonly ErrorStatusName[] = [
  "UNAVAILABLE",
  "DEADLINE_EXCEEDED",
  "INTERNAL",
  "RESOURCE_EXHAUSTED",
];

export type MalformKind = "missing" | "duplicate" | "unknown" | "out-of-range";
export const MALFORM_KINDS: readonly MalformKind[] = ["missing", "duplicate", "unknown", "out-of-range"];

export interface FaultOptions {
  /** Extra latency added to every answer, in ms. @default 0 */
  latencyMs: number;
  /** Uniform random extra latency in [0, jitter) ms. @default 0 */
  latencyJitterMs: number;
  /** Fraction of RPCs answered with `errorStatus` instead of a result. @default 0 */
  errorRate: number;
  /** @default "UNAVAILABLE" */
  errorStatus: ErrorStatusName;
  /** Fraction of RPCs whose response is malformed in one of `malformKinds`. @default 0 */
  malformedRate: number;
  /** @default all four kinds */
  malformKinds: readonly MalformKind[];
}

export const DEFAULT_FAULTS: FaultOptions = {
  latencyMs: 0,
  latencyJitterMs: 0,
  errorRate: 0,
  errorStatus: "UNAVAILABLE",
  malformedRate: 0,
  malformKinds: MALFORM_KINDS,
};

export class FaultInjector {
  constructor(
    private readonly faults: FaultOptions,
    private readonly random: () => number,
  ) {}

  latency(): number {
    return (
      this.faults.latencyMs +
      (this.faults.latencyJitterMs > 0 ? this.random() * this.faults.latencyJitterMs : 0)
    );
  }

  /** The error to answer this RPC with, if one is injected. */
  error(): grpc.ServiceError | undefined {
    if (this.faults.errorRate <= 0 || this.random() >= this.faults.errorRate) return undefined;
    const code = grpc.status[this.faults.errorStatus];
    const err = new Error(`injected ${this.faults.errorStatus}`) as grpc.ServiceError;
    return Object.assign(err, {
      code,
      details: `injected ${this.faults.errorStatus}`,
      metadata: new grpc.Metadata(),
    });
  }

  /** Corrupts a well-formed response in place, at the configured rate; returns the kind applied. */
  malform(batch: SeniorityResponse[]): MalformKind | undefined {
    if (batch.length === 0 || this.faults.malformedRate <= 0 || this.random() >= this.faults.malformedRate) {
      return undefined;
    }
    const kinds = this.faults.malformKinds;
    const kind = kinds[Math.floor(this.random() * kinds.length)] ?? "missing";
    const i = Math.floor(this.random() * batch.length);
    const victim = batch[i] as SeniorityResponse;
    switch (kind) {
      case "missing":
        batch.splice(i, 1);
        break;
      case "duplicate":
        // The extra entry claims the same uuid with a different value, so a client that
        // accepted duplicates could assign the wrong one.
        batch.push({ uuid: victim.uuid, seniority: ((victim.seniority ?? 1) % 7) + 1 });
        break;
      case "unknown":
        victim.uuid = batch.length + 1_000_000;
        break;
      case "out-of-range":
        victim.seniority = this.random() < 0.5 ? 0 : 8 + Math.floor(this.random() * 100);
        break;
    }
    return kind;
  }
}
