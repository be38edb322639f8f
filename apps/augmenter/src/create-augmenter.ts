import type { Queue } from "bullmq";
import type { Logger } from "pino";
import { ConfigError, readOptionFile, type OptionValues } from "@rl/cli";
import { TwoTierCache, storageNamespace } from "@rl/cache";
import { openCache } from "./open-cache";
import { LocalObjectStore, checkStore, openObjectStore, type ObjectStore } from "@rl/s3";
import { defaultErrorsUri, type AUGMENTER_OPTIONS } from "./config";
import { pairRulesOf } from "./pair-rules";
import { CoordinationFailures, InferenceScheduler, LocalPacer, SharedPacer, type Pacer } from "./inference";
import { mountQueueDashboard } from "./operations/queue-dashboard";
import { queueDashboardSettings } from "./operations/queue-dashboard-settings";
import { registerQueueMetrics } from "./operations/queue-metrics";
import { ByteBudget } from "./pipeline/byte-budget";
import { ChunkResolver } from "./pipeline/chunk-resolver";
import { openSpillSpace } from "./pipeline/open-spill-space";
import { openParseStage } from "./parse/open-parse-stage";
import { createGrpcSeniorityModel } from "./model/seniority-model";
import { SoloCoordinator, type Coordinator, type FileLeases } from "./coordination/coordinator";
import { LmdbCoordinator } from "./coordination/lmdb-coordinator";
import { RedisCoordinator } from "./coordination/redis-coordinator";
import { Augmenter } from "./service/augmenter";
import type { AugmenterParts } from "./service/augmenter-parts";
import { openWorkSource } from "./work/open-work-source";
import { AugmenterMetrics } from "./service/augmenter-metrics";
import { Discovery } from "./service/discovery";
import { startHttpServer } from "./service/http-server";
import { assertSeparateLocations } from "./service/locations";
import { serviceDependencies } from "./service/dependencies";
import { EventLoopWatch } from "./service/event-loop-watch";
import { plainCause } from "./service/plain-cause";
import { Readiness, DEFAULT_READINESS_OPTIONS } from "./service/readiness";
import { settleWithin } from "./service/settle-within";

export type AugmenterConfig = OptionValues<typeof AUGMENTER_OPTIONS>;

export interface AugmenterInstance {
  augmenter: Augmenter;
  scheduler: InferenceScheduler;
  metrics: AugmenterMetrics;
  cache: TwoTierCache;
  httpPort: number | undefined;
  /** The BullMQ queue files go through; absent when they are listed (no Redis). */
  fileQueue: Queue | undefined;
  close(): Promise<void>;
}

async function openStore(flag: string, env: string, uri: string, o: AugmenterConfig): Promise<ObjectStore> {
  try {
    return await openObjectStore(uri, {
      ...(o.s3Endpoint ? { endpoint: o.s3Endpoint } : {}),
      ...(o.awsRegion ? { region: o.awsRegion } : {}),
    });
  } catch (err) {
    throw new ConfigError(`--${flag} (or ${env}): ${(err as Error).message}`);
  }
}

/** Wires the whole service from validated options; `main.ts` and the tests both use it. */
export async function createAugmenter(
  o: AugmenterConfig,
  log: Logger,
  {
    checkStores = true,
    rawMustExist = false,
  }: {
    checkStores?: boolean;
    /** A local raw directory that does not exist is a configuration error (`run`: nothing to do, ever). */
    rawMustExist?: boolean;
  } = {},
): Promise<AugmenterInstance> {
  const errorsUri = o.errorsUri ?? defaultErrorsUri(o.modUri);
  // Before anything is opened: overlapping locations overwrite inputs or reprocess outputs.
  // (`cache warm` reads its own --from and writes nothing: it checks none of them.)
  if (checkStores)
    assertSeparateLocations({
      raw: o.rawUri,
      mod: o.modUri,
      errors: errorsUri,
      errorsIsDefault: o.errorsUri === undefined,
    });
  // Checked only where the admin port is bound: `run` leaves it unbound unless asked.
  const dashboard = o.httpPort >= 0 ? queueDashboardSettings(o) : ({ enabled: false } as const);
  // One after another, not all at once: with two bad URIs the first is the one reported.
  const raw = await openStore("raw-uri", "RAW_URI", o.rawUri, o);
  const mod = await openStore("mod-uri", "MOD_URI", o.modUri, o);
  const errors = await openStore("errors-uri", "ERRORS_URI", errorsUri, o);
  // Before any work: a wrong endpoint, bucket or credential is said once, naming its setting.
  if (checkStores) await Promise.all([raw, mod].map((store) => checkStore(store, o.s3Endpoint)));
  // A mistyped local path would otherwise list nothing, and a run would report 0 files, exit 0.
  if (checkStores && raw instanceof LocalObjectStore && !(await raw.exists())) {
    const problem = `--raw-uri (or RAW_URI): ${raw.location} does not exist`;
    if (rawMustExist)
      throw new ConfigError(`${problem}: create it, or point it at the directory the postings are in`);
    log.warn(`${problem} yet: polling it until it appears`);
  }

  // `cache warm` writes no output: it spills nothing, and its directory is not checked.
  const spill = checkStores ? await openSpillSpace(o, log) : undefined;

  const l2 = await openCache(o.cacheUrl, {
    modelVersion: o.modelVersion,
    expectedPairs: o.expectedPairs,
    onWarning: (m) => log.warn(m),
  });
  const cacheVariable = `CACHE_URL=${l2.description}`;
  const cache = new TwoTierCache(l2, o.l1MaxEntries, {
    events: {
      onDown: (err) => {
        metrics.l2Outages.inc();
        log.error(
          { cause: plainCause(err) },
          `L2 cache unreachable (${cacheVariable}): model calls paused and files wait where they are until it answers; nothing is lost`,
        );
      },
      onUp: (ms) =>
        log.warn(`L2 cache answers again (${cacheVariable}) after ${(ms / 1000).toFixed(1)} s; resuming`),
    },
  });
  // Processes sharing the cache coordinate where it offers a place: its Redis (workers on any
  // machine) or a record space beside the embedded cache (processes on its machine).
  const site = o.coordination === "auto" ? l2.coordination : undefined;
  const coordinated = {
    // Claims are per namespace, like the cache: a model version under the current key encoding.
    modelVersion: storageNamespace(o.modelVersion),
    rawLocation: raw.location,
    modelAddress: o.grpcAddr,
    pairsPerSecond: o.modelRate,
    fileLeaseMs: o.fileLeaseMs,
    pairClaimMs: o.pairClaimMs,
    ...(o.workerId ? { workerId: o.workerId } : {}),
    onWarning: (m: string, err: Error) => {
      if (cache.availability.up) log.warn({ error: plainCause(err) }, m);
    },
  };
  // With a Redis, files go through its queue; otherwise each process lists, and processes on one
  // machine take a file lease beside the embedded cache.
  let coordinator: Coordinator;
  let leases: (Coordinator & FileLeases) | undefined;
  if (site?.kind === "redis") coordinator = new RedisCoordinator(site.scripts, coordinated);
  else
    coordinator = leases =
      site?.kind === "machine"
        ? new LmdbCoordinator(site.openSpace(), coordinated)
        : new SoloCoordinator(o.workerId ?? "local");
  const caPem = o.grpcCa ? readOptionFile(o.grpcCa, "grpc-ca", "SENIORITY_GRPC_CA") : undefined;
  const model = createGrpcSeniorityModel({
    address: o.grpcAddr,
    tls: o.grpcTls,
    ...(caPem ? { caPem } : {}),
  });
  const readiness: Readiness = new Readiness(
    serviceDependencies({
      model,
      modelAddress: o.grpcAddr,
      s3Endpoint: o.s3Endpoint,
      cache,
      raw,
      mod,
      timeoutMs: DEFAULT_READINESS_OPTIONS.timeoutMs,
    }),
    () => augmenter.ready,
  );
  const metrics: AugmenterMetrics = new AugmenterMetrics({
    scheduler: () => scheduler,
    readiness: () => readiness,
  });
  metrics.modelRateLimit.set(o.modelRate);
  const coordinationFailures = new CoordinationFailures((err, what) => {
    // While L2 is down (the same Redis), its one outage line says it all.
    if (!cache.availability.up) return;
    log.warn({ error: err.message }, `coordination failed while ${what}; this batch goes on uncoordinated`);
  });
  // Exactly one pacer per batch: the schedule all workers share, or this process's own.
  const pacer: Pacer = coordinator.shared
    ? new SharedPacer(coordinator, new LocalPacer(o.modelRate), coordinationFailures)
    : new LocalPacer(o.modelRate);
  const scheduler = new InferenceScheduler(
    model,
    cache,
    {
      pairsPerSecond: o.modelRate,
      batchSize: o.modelBatchSize,
      maxRequestBytes: o.modelMaxRequestBytes,
      lingerMs: o.modelLingerMs,
      maxInFlight: o.modelMaxInFlight,
      deadlineMs: o.modelDeadlineMs,
      maxAttempts: o.modelMaxAttempts,
      backoffBaseMs: o.modelBackoffMs,
      backoffMaxMs: o.modelBackoffMaxMs,
      claimRenewMs: Math.max(100, Math.floor(o.pairClaimMs / 3)),
      coordinator,
      pacer,
      failures: coordinationFailures,
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
      onCacheWriteError: (err, pairs) => {
        metrics.cacheWriteErrors.inc();
        log.error(
          { pairs, cause: plainCause(err) },
          `L2 cache write failed (${cacheVariable}): the ${pairs} answers serve their files and are stored once it answers`,
        );
      },
    },
  );
  const pairRules = pairRulesOf(o);
  const parse = openParseStage(
    o.parseThreads,
    { inputOverS3: o.rawUri.startsWith("s3://") },
    {
      limits: { maxRecordBytes: o.maxRecordBytes, maxRecordLines: o.maxRecordLines },
      rules: pairRules,
      chunkRecords: o.chunkRecords,
      maxDistinctTracked: 2_000_000,
      knownMaxEntries: o.l1MaxEntries,
    },
    (err, openFiles) =>
      log.error(
        { cause: plainCause(err), openFiles },
        `a parse thread stopped: ${openFiles > 0 ? `its ${openFiles} open files fail and are tried again` : "no file was open on it"}; the next file starts a new thread (PARSE_THREADS=0 parses on the main thread)`,
      ),
  );
  const parts: AugmenterParts = {
    files: {
      raw,
      mod,
      errors,
      parse,
      resolver: new ChunkResolver(cache, scheduler),
      budget: new ByteBudget(o.maxBytesInFlight),
      modelVersion: o.modelVersion,
      normalise: pairRules.normalise,
      chunkWindow: o.chunkWindow,
      ...(spill ? { spill } : {}),
    },
    scheduler,
    cache,
  };
  const { source, fileQueue } = await openWorkSource(
    { ...o, rawLocation: raw.location, modLocation: mod.location },
    leases ? { kind: "listing", coordinator: leases } : { kind: "queue", workerId: coordinator.workerId },
    new Discovery(raw, mod, o.lookbackSeconds),
    metrics,
    log,
  );
  const augmenter: Augmenter = new Augmenter(parts, source, metrics, log, {
    shutdownGraceMs: o.shutdownGraceMs,
  });
  const fileQueues: Queue[] = fileQueue ? [fileQueue.queue] : [];
  if (fileQueues.length > 0) registerQueueMetrics(fileQueues, metrics.registry);
  const boardShown = dashboard.enabled && fileQueues.length > 0;
  if (dashboard.enabled && fileQueues.length === 0)
    log.warn(
      "QUEUE_DASHBOARD=on, but this process hands out files through no queue (that needs CACHE_URL on Redis): no dashboard",
    );
  const routes = boardShown ? [await mountQueueDashboard(fileQueues, { token: dashboard.token })] : [];
  const loop = new EventLoopWatch();
  const endpoints = {
    registry: metrics.registry,
    readiness: () => readiness.check(),
    liveness: () => loop.report(),
  };
  const http =
    o.httpPort >= 0
      ? await startHttpServer(endpoints, o.httpHost, o.httpPort, routes).catch((err: Error) => {
          throw new ConfigError(`${err.message}: choose a free port, 0 for any free one, or -1 for none`);
        })
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
      coordination: site?.kind ?? "off",
      files: fileQueue ? `queue ${fileQueue.queue.name}` : "listing",
      worker: coordinator.workerId,
      httpPort: http?.port ?? null,
      queueDashboard: routes[0]?.prefix ?? null,
    },
    "augmenter starting",
  );

  // Bounded as a whole (4 s), well inside the 5 s main() allows after SHUTDOWN_GRACE_MS: a
  // shutdown must not wait on a dependency that does not answer.
  const close = async () => {
    const deadline = Date.now() + 4_000;
    const left = (most: number) => Math.max(0, Math.min(most, deadline - Date.now()));
    // Calls already out are answered and stored rather than paid for again by the next run; then
    // answers that waited for L2 get one last chance to be stored.
    await scheduler.drain(left(2_000));
    if (cache.availability.up) await settleWithin(scheduler.storeUnstored(), left(1_500));
    const lost = scheduler.stats().unstored;
    if (lost > 0)
      log.error(
        { pairs: lost },
        `L2 cache still unreachable (${cacheVariable}) at shutdown: these answers were not stored and will be asked again`,
      );
    scheduler.close();
    loop.close();
    await settleWithin(parse.close(), left(1_000));
    cache.availability.close();
    await settleWithin(source.close(), left(1_000));
    await settleWithin(coordinator.close(), left(1_000));
    model.close();
    await settleWithin(l2.close(), left(1_000));
    await settleWithin(http?.close() ?? Promise.resolve(), left(1_000));
  };
  // Last, once nothing can fail any more: no thread is left behind by a failed start.
  parse.start();
  return { augmenter, scheduler, metrics, cache, httpPort: http?.port, fileQueue: fileQueue?.queue, close };
}
