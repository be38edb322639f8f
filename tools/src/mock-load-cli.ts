// Node load driver for the mock model: the same scenario as k6/mock-model.ts, for machines
// without k6. Without --address it starts the mock in-process at --rate.
import { formatHelp, option, parseOptions } from "@rl/cli";
import { startMockSeniorityServer } from "mock-seniority-server";
import { runMockLoad } from "./mock-load";

const OPTIONS = {
  address: option.optionalString(
    "address",
    "host:port of a running model; omitted starts the mock in-process",
  ),
  rate: option.number("rate", "Throttle of the in-process mock, pairs/s", { default: 1000, min: 1 }),
  pairs: option.number("pairs", "Pairs to send", { default: 10_000, integer: true, min: 1 }),
  batch: option.number("batch", "Pairs per RPC", { default: 1000, integer: true, min: 1 }),
  concurrency: option.number("concurrency", "RPCs in flight", { default: 10, integer: true, min: 1 }),
};

const { values: o, help } = parseOptions(OPTIONS, process.argv.slice(2), process.env);
if (help) {
  process.stdout.write(formatHelp("usage: tsx tools/src/mock-load-cli.ts [options]", OPTIONS));
  process.exit(0);
}
const mock = o.address ? undefined : await startMockSeniorityServer({ port: 0, pairsPerSecond: o.rate });
const address = o.address ?? mock?.address ?? "";
const result = await runMockLoad({
  address,
  pairs: o.pairs,
  batch: o.batch,
  concurrency: o.concurrency,
  prefix: `load-${Date.now()}`,
});
const stats = mock?.stats();
await mock?.stop();
const out = {
  ...result,
  ...(mock
    ? {
        limit: o.rate,
        accuracy: result.pairsPerSecond / o.rate,
        mockDistinct: stats?.distinctPairs,
        mockDuplicates: stats?.pairsReceivedMoreThanOnce,
      }
    : {}),
};
console.log(JSON.stringify(out, null, 2));
