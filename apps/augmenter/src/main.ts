import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { pino } from "pino";
import { ConfigError, createProgress, formatHelp, parseOptions } from "@rl/cli";
import { AUGMENTER_OPTIONS } from "./config";
import { runCacheCommand } from "./cache-ops/cache-command";
import { createAugmenter } from "./create-augmenter";
import { formatSummary } from "./service/run-report";

const USAGE = `usage: augmenter <command> [options]

Commands:
  serve          poll the raw prefix and augment new files as they arrive, until SIGTERM/SIGINT
  run [--once]   augment every pending file, print a summary, exit 0 if all succeeded, 1 if not
  cache …        import, export, restore, stats, drop (see \`augmenter cache\`)

Every option also reads the environment variable shown; a flag wins over its variable.`;

async function main(): Promise<number> {
  const {
    values: o,
    positionals,
    help,
    sources,
  } = parseOptions(AUGMENTER_OPTIONS, process.argv.slice(2), process.env);
  const command = positionals[0];
  if (help || command === undefined) {
    process.stdout.write(formatHelp(USAGE, AUGMENTER_OPTIONS));
    return command === undefined && !help ? 2 : 0;
  }
  if (command === "cache") {
    const region = process.env.AWS_REGION;
    return runCacheCommand(
      o,
      positionals.slice(1),
      { modelVersion: sources.modelVersion !== "default" },
      {
        ...(o.s3Endpoint ? { endpoint: o.s3Endpoint } : {}),
        ...(region ? { region } : {}),
      },
    );
  }
  if (command !== "serve" && command !== "run")
    throw new ConfigError(`unknown command ${JSON.stringify(command)}: expected serve, run or cache`);
  const serving = command === "serve";
  // serve logs to stdout like any service; run keeps stdout for the summary table.
  const log = pino(
    { level: o.logLevel, base: { service: "augmenter" } },
    serving ? process.stdout : process.stderr,
  );
  const { augmenter, close } = await createAugmenter(o, log);
  if (serving) {
    const onSignal = (signal: string) => {
      log.info({ signal }, "shutting down: taking no new file, finishing files in flight");
      augmenter.stop();
    };
    process.once("SIGTERM", () => onSignal("SIGTERM"));
    process.once("SIGINT", () => onSignal("SIGINT"));
    await augmenter.serve();
    await close();
    log.info("stopped");
    return 0;
  }

  let progress: ReturnType<typeof createProgress> | undefined;
  process.once("SIGINT", () => augmenter.stop());
  process.once("SIGTERM", () => augmenter.stop());
  const report = await augmenter.runOnce({
    onPending: (files) => {
      log.info({ pending: files.length }, "files pending");
      progress = createProgress({
        label: "augmenting",
        total: files.reduce((a, f) => a + f.size, 0),
        unit: "bytes",
      });
    },
    onBytes: (n) => progress?.tick(n),
  });
  progress?.done();
  await close();
  let reportFailed = false;
  if (o.report) {
    try {
      mkdirSync(dirname(o.report), { recursive: true });
      writeFileSync(o.report, `${JSON.stringify(report, null, 2)}\n`);
    } catch (err) {
      process.stderr.write(
        `augmenter: cannot write the report to ${o.report} (--report): ${(err as Error).message}\n`,
      );
      reportFailed = true;
    }
  }
  process.stdout.write(`${formatSummary(report)}\n`);
  return report.totals.failedFiles > 0 || reportFailed ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`augmenter: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`augmenter: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
