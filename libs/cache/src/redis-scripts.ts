import { groupBySlot, sendPerNode } from "./redis-calls";
import type { RedisClient } from "./redis-store";

/** A Lua script and the command name it is registered under on the client. */
export interface LuaScript {
  readonly name: string;
  readonly lua: string;
}

type Args = ReadonlyArray<string | number>;
type ScriptCommand = (numKeys: number, ...args: Array<string | number>) => Promise<unknown>;

/**
 * What coordination needs of the Redis (or Redis Cluster) holding the cache: its own Lua
 * scripts run on its own keys, nothing else. The cluster's slot rules stay here: a caller
 * never sees a node, a slot or a pipeline.
 */
export interface ScriptRunner {
  /** Runs `script` on `keys`, which must share a slot (one key always does), with `args`. */
  run(script: LuaScript, keys: readonly string[], args: Args): Promise<unknown>;
  /**
   * Runs `script` once per slot of `keys` (once in all on a single server), one round trip
   * per node; each result comes with the indexes in `keys` of the keys it ran on.
   */
  runPerSlot(
    script: LuaScript,
    keys: readonly string[],
    args: Args,
  ): Promise<Array<{ indexes: number[]; result: unknown }>>;
}

/** A {@link ScriptRunner} on an ioredis client: scripts are defined on first use (EVALSHA, then EVAL). */
export function redisScripts(client: RedisClient): ScriptRunner {
  const defined = new Set<string>();
  const define = (script: LuaScript) => {
    if (defined.has(script.name)) return;
    client.defineCommand(script.name, { lua: script.lua });
    defined.add(script.name);
  };
  const commandOf = (target: object, name: string) =>
    (target as Record<string, ScriptCommand>)[name] as ScriptCommand;
  return {
    run: (script, keys, args) => {
      define(script);
      return commandOf(client, script.name).call(client, keys.length, ...keys, ...args);
    },
    runPerSlot: async (script, keys, args) => {
      define(script);
      const parts = groupBySlot(
        client,
        keys.map((key, i) => ({ key, i })),
        (x) => x.key,
      );
      const results = await sendPerNode(
        client,
        parts.map(({ slot, items }) => ({
          slot,
          call: (pipeline: object) =>
            commandOf(pipeline, script.name).call(
              pipeline,
              items.length,
              ...items.map((x) => x.key),
              ...args,
            ),
        })),
      );
      return parts.map(({ items }, j) => ({ indexes: items.map((x) => x.i), result: results[j] }));
    },
  };
}
