import { ADMIN_URL_FORMS, parseStorageNamespace, type NamespaceStats } from "@rl/cache";
import type { AugmenterConfig } from "../create-augmenter";
import { label, openCommandStore, out } from "./command-store";

const mib = (bytes: number) => (bytes / 1048576).toFixed(1);

/** Bucket fill and encodings, with a warning when buckets left the compact encoding. */
function printBuckets(b: NonNullable<NamespaceStats["buckets"]>): void {
  out(
    `  buckets: ${b.used} used of ${b.configured}; fields per bucket min ${b.minFields}, avg ${b.avgFields.toFixed(1)}, max ${b.maxFields}; encodings ${JSON.stringify(b.encodings)}`,
  );
  if (b.nonCompact.length > 0) {
    out(
      `  WARNING: ${b.nonCompact.length >= 10 ? "10 or more" : b.nonCompact.length} buckets left the compact listpack encoding (e.g. ${b.nonCompact[0]}), so they cost several times more memory. Fix: raise Redis's hash-max-listpack-entries above ${b.maxFields}, or move to a namespace sized for more pairs (EXPECTED_PAIRS, then cache export / restore).`,
    );
  }
}

/** The hit ratios of a running service, from its /metrics. */
async function printServiceRatios(metricsUrl: string): Promise<void> {
  const text = await (await fetch(metricsUrl)).text();
  const v = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
  const l1 = v(/^augmenter_cache_hits_total\{tier="l1"\} (\S+)$/m);
  const l2 = v(/^augmenter_cache_hits_total\{tier="l2"\} (\S+)$/m);
  const model = v(/^augmenter_model_pairs_total (\S+)$/m);
  const all = l1 + l2 + model;
  out(
    `running service (${metricsUrl}): L1 hits ${l1}, L2 hits ${l2}, model pairs ${model}; hit ratio ${all > 0 ? ((l1 + l2) / all).toFixed(4) : "n/a"}`,
  );
}

/** `cache stats`: the store's namespaces, the configured one's pairs and cost, a service's hit ratios. */
export async function statsCommand(o: AugmenterConfig): Promise<number> {
  const here = label(o.modelVersion, Number(o.keyEncoding));
  const store = await openCommandStore(o, o.modelVersion, Number(o.keyEncoding), true);
  try {
    const admin = store.admin;
    if (!admin)
      out(
        `namespace ${here} in ${store.description}: no pair counts (cache stats reads them from ${ADMIN_URL_FORMS})`,
      );
    else {
      if (admin.namespaces) {
        const names = (await admin.namespaces()).map((ns) => {
          const p = parseStorageNamespace(ns);
          return label(p.modelVersion, p.keyEncoding);
        });
        out(`namespaces (model versions) in ${store.description}: ${names.join(", ") || "none"}`);
        if (names.some((n) => n.includes("superseded")))
          out(
            "  superseded namespaces are never read by the service; drop one with: augmenter cache drop --model-version <version> --key-encoding 1",
          );
      }
      const s = await admin.stats();
      // Where the namespaces line named the store, the namespace line need not.
      const where = admin.namespaces ? "" : ` in ${store.description}`;
      if (!s.created) out(`namespace ${here}: not created yet (no pairs)`);
      else {
        out(
          `namespace ${here}${where}: ${s.pairs.toLocaleString("en-US")} pairs, ${(s.pairs > 0 ? s.bytes / s.pairs : 0).toFixed(1)} bytes/pair (${mib(s.bytes)} MiB ${s.bytesMeasure})`,
        );
        if (s.buckets) printBuckets(s.buckets);
      }
    }
  } finally {
    await store.close();
  }
  if (o.metricsUrl) await printServiceRatios(o.metricsUrl);
  return 0;
}
