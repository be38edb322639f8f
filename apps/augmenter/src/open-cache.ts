import { openSeniorityStore, type SeniorityStore } from "@rl/cache";

/**
 * Opens the L2 the options name. A failure (no server, an unwritable directory) names the
 * setting: the default cache lives under DATA_DIR, so that is named too.
 */
export async function openCache(
  url: string,
  options: Parameters<typeof openSeniorityStore>[1],
): Promise<SeniorityStore> {
  try {
    return await openSeniorityStore(url, options);
  } catch (err) {
    throw new Error(`CACHE_URL (or --cache-url; the default is DATA_DIR/cache): ${(err as Error).message}`, {
      cause: err,
    });
  }
}
