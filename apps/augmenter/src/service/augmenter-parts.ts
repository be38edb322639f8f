import type { TwoTierCache } from "@rl/cache";
import type { InferenceScheduler } from "../inference/inference-scheduler";
import type { FileProcessorDeps } from "../pipeline/file-processor";

/** The parts of the service the Augmenter runs on: what each file needs, and what the run report reads. */
export interface AugmenterParts {
  files: FileProcessorDeps;
  scheduler: Pick<InferenceScheduler, "stats">;
  cache: Pick<TwoTierCache, "l2" | "l1Size">;
}
