import * as grpc from "@grpc/grpc-js";
import { MemoryStore, pairText, type Pair, type SeniorityStore } from "@rl/cache";
import type { Coordinator } from "../coordination/coordinator";
import type { ModelAnswer, ModelRequest as SeniorityRequest, SeniorityModel } from "../model/seniority-model";
import { CoordinationFailures } from "./coordination-failures";
import type { Inferred } from "./inferred";
import { LocalPacer, SharedPacer } from "./pacer";
import type { SchedulerOptions } from "./scheduler-options";

/** Fakes and fixtures of the scheduler's tests. */

export const truth = (r: SeniorityRequest) => (r.title.length % 7) + 1;

/** A fake model: records every call; `script` may corrupt or fail the n-th call. */
export function fakeModel(
  script: (call: number, batch: SeniorityRequest[]) => ModelAnswer[] | Error | undefined = () => undefined,
) {
  const calls: Array<{ batch: SeniorityRequest[]; at: number }> = [];
  const model: SeniorityModel = {
    async infer(batch) {
      calls.push({ batch, at: performance.now() });
      await new Promise((r) => setTimeout(r, 2));
      const s = script(calls.length, batch);
      if (s instanceof Error) throw s;
      return s ?? batch.map((r) => ({ uuid: r.uuid, seniority: truth(r) }));
    },
    close() {},
  };
  return { model, calls };
}
/** An L2 that fails every call while `l2.down` is set, over a MemoryStore (`inner`). */
export function flakyStore(down: boolean) {
  const l2 = { down };
  const inner = new MemoryStore();
  const flaky: SeniorityStore = {
    description: "flaky",
    getMany: async (k) => {
      if (l2.down) throw new Error("ECONNREFUSED");
      return inner.getMany(k);
    },
    setMany: async (e) => {
      if (l2.down) throw new Error("ECONNREFUSED");
      return inner.setMany(e);
    },
    close: async () => {},
  };
  return { flaky, inner, l2 };
}

export const grpcError = (code: grpc.status) =>
  Object.assign(new Error(grpc.status[code]), { code, details: "injected" });
export const fast: Partial<SchedulerOptions> = {
  pairsPerSecond: 1e6,
  lingerMs: 5,
  backoffBaseMs: 1,
  backoffMaxMs: 5,
};
export const mkPair = (company: string, title: string): Pair => ({
  company,
  title,
  key: pairText(company, title),
});
export const pair = (i: number) => mkPair(`company ${i % 13}`, `title ${"x".repeat(i % 11)} ${i}`);
export const expected = (p: Pair) => truth({ uuid: 0, company: "", title: p.title });
export const value = (r: { result: Promise<Inferred> }) => r.result.then((a) => a.seniority);
/** Shared mode as create-augmenter wires it: claims through the coordinator, its shared pacer. */
export const shared = (coordinator: Coordinator) => {
  const failures = new CoordinationFailures();
  return { coordinator, failures, pacer: new SharedPacer(coordinator, new LocalPacer(1e6), failures) };
};
