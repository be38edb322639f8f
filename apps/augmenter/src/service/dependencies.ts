import type { TwoTierCache } from "@rl/cache";
import { explainStorageError, type ObjectStore } from "@rl/s3";
import type { ProbedSeniorityModel } from "../model/seniority-model";
import { plainCause } from "./plain-cause";
import type { Dependency } from "./readiness";

/**
 * What the service needs to make progress, each with its cheapest honest probe. The errors
 * location is left out: it is written only for dead letters, and usually shares the mod bucket.
 */
export function serviceDependencies(d: {
  model: ProbedSeniorityModel;
  modelAddress: string;
  s3Endpoint: string | undefined;
  cache: TwoTierCache;
  raw: ObjectStore;
  mod: ObjectStore;
  timeoutMs: number;
}): Dependency[] {
  const store = (name: string, s: ObjectStore): Dependency => ({
    name,
    where: s.location,
    // Said as the start-up check says it: the setting to look at, the location, the cause.
    probe: (signal) =>
      s.probe(signal).catch((err: unknown) => ({
        reason: explainStorageError(err, s.location, d.s3Endpoint, "S3_ENDPOINT (or --s3-endpoint)").message,
      })),
  });
  return [
    // The channel connects: no inference is paid for. A model that is up but answers errors is
    // retried by the scheduler and shows in augmenter_model_rpcs_total{result}, not here.
    { name: "model", where: d.modelAddress, probe: () => d.model.probe(d.timeoutMs) },
    {
      name: "l2",
      where: d.cache.l2.description,
      // While L2 is known down its own tracker probes every second and knows since when.
      probe: async () => {
        let outage = d.cache.availability.outage;
        if (!outage) await d.cache.probeL2().catch(() => {});
        outage = d.cache.availability.outage;
        return (
          outage && { since: outage.since, reason: `${d.cache.l2.description}: ${plainCause(outage.error)}` }
        );
      },
    },
    store("raw", d.raw),
    store("mod", d.mod),
  ];
}
