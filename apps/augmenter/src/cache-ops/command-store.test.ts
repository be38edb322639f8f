import { describe, expect, it } from "vitest";
import { MemoryStore } from "@rl/cache";
import { ConfigError } from "@rl/cli";
import { adminOf } from "./command-store";

describe("adminOf", () => {
  it("refuses a store that offers no administration, naming the cache URLs that do, and closes it", async () => {
    let closed = false;
    const store = Object.assign(new MemoryStore(), {
      description: "memcached://127.0.0.1:11211",
      close: async () => {
        closed = true;
      },
    });
    const refusal = adminOf(store, "export");
    await expect(refusal).rejects.toBeInstanceOf(ConfigError);
    await expect(refusal).rejects.toThrow(
      "cache export needs a Redis or LMDB cache (CACHE_URL or --cache-url redis://, rediss://, redis-cluster://, rediss-cluster:// or lmdb:); memcached://127.0.0.1:11211 cannot list or drop its pairs",
    );
    expect(closed).toBe(true);
  });
});
