import { ConfigError, createProgress } from "@rl/cli";
import type { AugmenterConfig } from "../create-augmenter";
import { adminOf, label, openCommandStore, out } from "./command-store";

/** `cache drop`: deletes the namespace named explicitly, in small steps where the store needs them. */
export async function dropCommand(o: AugmenterConfig, explicit: { modelVersion: boolean }): Promise<number> {
  if (!explicit.modelVersion)
    throw new ConfigError(
      "cache drop: name the namespace with --model-version (or MODEL_VERSION); it is never taken from a default",
    );
  const store = await openCommandStore(o);
  const admin = await adminOf(store, "drop");
  let progress: ReturnType<typeof createProgress> | undefined;
  try {
    const dropped = await admin.drop((n) => {
      progress ??= createProgress({ label: "dropping", unit: "keys" });
      progress.set(n);
    });
    progress?.done();
    out(
      `dropped namespace ${label(o.modelVersion, Number(o.keyEncoding))}: ${dropped.count.toLocaleString("en-US")} ${dropped.unit}`,
    );
  } finally {
    await store.close();
  }
  return 0;
}
