import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { ConfigError, type OptionValues } from "@rl/cli";
import { RedisStore, TwoTierCache, openSeniorityStore } from "@rl/cache";
import { openObjectStore, type ObjectStore } from "@rl/s3";
import { defaultErrorsUri, type AUGMENTER_OPTIONS } from "./config";
import { InferenceScheduler } from "./model/inference-scheduler";
import { createGrpcSeniorityModel } from "./model/seniority-model";
import { LocalCoordinator, type Coordinator } from "./coordination/coordinator";
import { RedisCoordinator } from "./coordination/redis-coordinator";
import { Augmenter } from "./service/augmenter";
import { AugmenterMetrics } from "./service/augmenter-metrics";
import { Discovery } from "./service/discovery";
import { startHttpServer } from "./service/http-server";

export type AugmenterConfig = OptionValues<typeof AUGMENTER_OPTIONS>;

export interface AugmenterInstance {
  augmenter: Augmenter;
  scheduler: InferenceScheduler;
  metrics: AugmenterMetrics;
  cache: TwoTierCache;
  httpPort: number | undefined;
  close(): Promise<void>;
}

function openStore(flag: string, env: string, uri: string, o: AugmenterConfig): ObjectStore {
  const region = process.env.AWS_REGION;
  try {
    return openObjectStore(uri, {
      ...(o.s3Endpoint ? { endpoint: o.s3Endpoint } : {}),
      ...(region ? { region } : {}),
    });
  } catch (err) {
    throw new ConfigError(`--${flag} (or ${env}): ${(err as Error).message}`);
  }
}

/** Wires the whole service from validated options; `main.ts` and the tests both use it. */
export async function createAugmenter(o: AugmenterConfig, log: Logger): Promise<AugmenterInstance> {
  const raw = openStore("raw-uri", "RAW_URI", o.rawUri, o);
  const mod = openStore("mod-uri", "MOD_URI", o.modUri, o);
  const errors = openStore("errors-uri", "ERRORS_URI", o.errorsUri ?? defaultErrorsUri(o.modUri), o);

  const l2 = await openSeniorityStore(o.cacheUrl, {
    modelVersion: o.modelVersion,
    expectedPairs: o.expectedPairs,
    onWarning: (m) => log.warn(m),
  });
  const cache = new TwoTierCache(l2, o.l1MaxEntries);
  // Workers on the same Redis coordinate through it; anything else is a lone process.
  const coordinator: Coordinator =
    o.coordination === "auto" && l2 instanceof RedisStore
      ? new RedisCoordinator(l2.client, {
          modelVersion: o.modelVersion,
          rawLocation: raw.location,
          modelAddress: o.grpcAddr,
          pairsPerSecond: o.modelRate,
          fileLeaseMs: o.fileLeaseMs,
          pairClaimMs: o.pairClaimMs,
          ...(o.workerId ? { workerId: o.workerId } : {}),
          onWarning: (m, err) => log.warn({ error: err.message }, m),
        })
      : new LocalCoordinator(o.workerId ?? "local");
  let caPem: Buffer | undefined;
  if (o.grpcCa) {
    try {
      caPem = readFileSync(o.grpcCa);
    } catch (err) {
      throw new ConfigError(
        `--grpc-ca (or SENIORITY_GRPC_CA): cannot read ${o.grpcCa}: ${(err as Error).message}`,
      );
    }
  }
  const model = createGrpcSeniorityModel({
    address: o.grpcAddr,
    tls: o.grpcTls,
    ...(caPem ? { caPem } : {}),
  });
  const metrics = new AugmenterMetrics(() => scheduler);
  const scheduler = new InferenceScheduler(
    model,
    cache,
    {
      pairsPerSecond: o.modelRate,
      batchSize: o.modelBatchSize,
      lingerMs: o.modelLingerMs,
      maxInFlight: o.modelMaxInFlight,
      deadlineMs: o.modelDeadlineMs,
      maxAttempts: o.modelMaxAttempts,
      backoffBaseMs: o.modelBackoffMs,
      backoffMaxMs: o.modelBackoffMaxMs,
      coordinator,
    },
    {
      onBatch: (e) => {
        metrics.modelPairs.inc(e.pairs);
        metrics.modelRpcs.inc({ result: e.error ? e.error.kind : "ok" });
        metrics.batchSize.observe(e.pairs);
        metrics.rpcSeconds.observe(e.ms / 1000);
        if (e.error)
          log.warn({ pairs: e.pairs, attempt: e.attempt, error: e.error.message }, "model call failed");
      },
      onCoordinationError: (err, what) => {
        log.warn(
          { error: err.message },
          `coordination failed while ${what}; this batch goes on uncoordinated`,
        );
      },
      onCacheWriteError: (err, pairs) => {
        metrics.cacheWriteErrors.inc();
        log.error({ pairs, error: err.message }, "L2 cache write failed; values kept in L1 only");
      },
    },
  );
  const deps = {
    raw,
    mod,
    errors,
    cache,
    scheduler,
    normalise: o.normalise,
    modelVersion: o.modelVersion,
    limits: { maxRecordBytes: o.maxRecordBytes, maxRecordLines: o.maxRecordLines },
    chunkRecords: o.chunkRecords,
    chunkWindow: o.chunkWindow,
    maxDistinctTracked: 2_000_000,
  };
  const augmenter = new Augmenter(deps, new Discovery(raw, mod, o.lookbackSeconds), metrics, log, {
    fileConcurrency: o.fileConcurrency,
    pollIntervalMs: o.pollIntervalMs,
    shutdownGraceMs: o.shutdownGraceMs,
    retryBaseMs: o.fileRetryBaseMs,
    maxFileAttempts: o.fileMaxAttempts,
    coordinator,
  });
  const http =
    o.httpPort >= 0
      ? await startHttpServer(metrics.registry, () => augmenter.ready, o.httpHost, o.httpPort)
      : undefined;
  log.info(
    {
      raw: raw.location,
      mod: mod.location,
      errors: errors.location,
      cache: l2.description,
      model: o.grpcAddr,
      modelVersion: o.modelVersion,
      normalise: o.normalise,
      coordination: coordinator.shared ? "redis" : "off",
      worker: coordinator.workerId,
      httpPort: http?.port ?? null,
    },
    "augmenter starting",
  );

  const close = async () => {
    scheduler.close();
    await coordinator.close();
    model.close();
    await l2.close();
    await http?.close();
  };
  return { augmenter, scheduler, metrics, cache, httpPort: http?.port, close };
}
