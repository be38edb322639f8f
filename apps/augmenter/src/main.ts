import { writeFileSync } from "node:fs";
import { dirname } from "node:path";
import {
  ConfigError,
  createProgress,
  defaultCacheUrl,
  formatHelp,
  makeDirectory,
  parseOptions,
  runMain,
} from "@rl/cli";
import { AUGMENTER_OPTIONS } from "./config";
import { CACHE_USAGE } from "./cache-ops/cache-usage";
import { FILES_USAGE } from "./files-ops/files-usage";
import { assertFlagsFor, assertNoMoreArgs, optionsFor, type Command } from "./commands";
import { VERSION } from "./version";
import type { StopSignal } from "./service/run-report";

// What a command needs (the AWS SDK, gRPC, Redis and LMDB clients, pino, prom-client) is
// imported once the command line is known to be valid: loading it all takes most of a second,
// which `--help`, `--version` and a configuration error need not pay.
const loadCacheCommand = () => import("./cache-ops/cache-command");
const loadFilesCommand = () => import("./files-ops/files-command");
const loadService = () =>
  Promise.all([import("pino"), import("./create-augmenter"), import("./service/run-report")]);

const USAGE = `usage: augmenter <command> [options]

Commands:
  serve            poll the raw prefix and augment new files as they arrive, until SIGTERM/SIGINT
  run [--once]     augment every pending file, print a summary, exit 0 if all succeeded, 1 if not;
                   stopped by SIGINT/SIGTERM: 130/143 (whatever else failed), naming the files left
  cache <command>  import, export, restore, stats, drop, warm (see \`augmenter cache --help\`)
  files <command>  the file queue (Redis): list-failed, retry <key> | --all (see \`augmenter files --help\`)

\`augmenter <command> --help\` lists the options of a command; \`augmenter --version\` the version
and the runtime it needs. Exit codes: 0 done, 1 failed, 2 a configuration error.`;

const COMMAND_USAGE: Record<Command, string> = {
  serve: `usage: augmenter serve [options]

Polls the raw prefix and augments new files as they arrive, until SIGTERM/SIGINT (then finishes
the files in flight within --shutdown-grace-ms). /metrics, /healthz and /readyz on --http-port.`,
  run: `usage: augmenter run [--once] [options]

Augments every pending file, prints a summary, exits 0 if all succeeded, 1 if not, 2 on a
configuration error; stopped by SIGINT/SIGTERM: 130/143, naming the files left.`,
  cache: CACHE_USAGE,
  files: FILES_USAGE,
};

const OPTIONS_NOTE = "Every option also reads the environment variable shown; a flag wins over its variable.";

/** `--version`: what runs, and the runtime advice given here once rather than on every start. */
function versionText(): string {
  return `augmenter ${VERSION} on Node.js ${process.version}
Runs on Node.js >= 20.19; the production target is Node 24 LTS (the image's). The AWS SDK for
JavaScript requires Node >= 22 in its releases after the first week of January 2027, so deploy
on Node 24; its per-process notice about this is silenced.
`;
}

/** 128 + the signal's number, as a shell reports a process a signal ended. */
const SIGNAL_EXIT_CODES: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--version") {
    process.stdout.write(versionText());
    return 0;
  }
  const { values: parsed, positionals, help, sources } = parseOptions(AUGMENTER_OPTIONS, argv, process.env);
  const command = positionals[0];
  if (command === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return help ? 0 : 2;
  }
  if (command !== "serve" && command !== "run" && command !== "cache" && command !== "files")
    throw new ConfigError(`unknown command ${JSON.stringify(command)}: expected serve, run, cache or files`);
  if (help) {
    process.stdout.write(formatHelp(`${COMMAND_USAGE[command]}\n\n${OPTIONS_NOTE}`, optionsFor(command)));
    return 0;
  }
  assertFlagsFor(command, sources);
  // The default cache lives in the data directory, not wherever the command was started: a cron
  // job and a manual run share it (and its coordination) whatever their working directories.
  const o =
    sources.cacheUrl === "default"
      ? {
          ...parsed,
          cacheUrl: defaultCacheUrl({ DATA_DIR: parsed.dataDir, XDG_DATA_HOME: process.env.XDG_DATA_HOME }),
        }
      : parsed;
  if (command === "files") {
    const { runFilesCommand } = await loadFilesCommand();
    return runFilesCommand(o, positionals.slice(1), {
      ...(o.s3Endpoint ? { endpoint: o.s3Endpoint } : {}),
      ...(o.awsRegion ? { region: o.awsRegion } : {}),
    });
  }
  if (command === "cache") {
    const { runCacheCommand } = await loadCacheCommand();
    return runCacheCommand(
      o,
      positionals.slice(1),
      { modelVersion: sources.modelVersion !== "default" },
      {
        ...(o.s3Endpoint ? { endpoint: o.s3Endpoint } : {}),
        ...(o.awsRegion ? { region: o.awsRegion } : {}),
      },
    );
  }
  assertNoMoreArgs(command, positionals.slice(1));
  const serving = command === "serve";
  const [{ pino }, { createAugmenter }, { formatSummary }] = await loadService();
  // serve logs to stdout like any service; run keeps stdout for the summary table.
  const log = pino(
    { level: o.logLevel, base: { service: "augmenter" } },
    serving ? process.stdout : process.stderr,
  );
  // A batch run binds the metrics port only when asked: overlapping runs (cron plus a manual
  // run) must not fail over a port neither needs.
  const httpAsked = serving || sources.httpPort !== "default";
  const { augmenter, close } = await createAugmenter(httpAsked ? o : { ...o, httpPort: -1 }, log, {
    rawMustExist: !serving,
  });
  if (serving) {
    const onSignal = (signal: string) => {
      log.info({ signal }, "shutting down: taking no new file, finishing files in flight");
      augmenter.stop();
      // Files in flight get SHUTDOWN_GRACE_MS, then are aborted, and closing waits at most a few
      // seconds per dependency; should anything still hang, the process ends here anyway.
      setTimeout(() => {
        log.error(
          { shutdownGraceMs: o.shutdownGraceMs },
          "still not stopped 5 s after SHUTDOWN_GRACE_MS; exiting (uploads in flight never become visible)",
        );
        process.exit(1);
      }, o.shutdownGraceMs + 5_000).unref();
    };
    process.once("SIGTERM", () => onSignal("SIGTERM"));
    process.once("SIGINT", () => onSignal("SIGINT"));
    await augmenter.serve();
    await close();
    log.info("stopped");
    return 0;
  }

  let progress: ReturnType<typeof createProgress> | undefined;
  let stoppedBy: StopSignal | undefined;
  const onRunSignal = (signal: StopSignal) => {
    if (stoppedBy) {
      // Someone who signals twice will not wait out the grace. Abandoned uploads never become
      // visible outputs, so the next run redoes those files.
      process.stderr.write(
        `\naugmenter: ${signal} while stopping: exiting now, abandoning files in flight\n`,
      );
      process.exit(SIGNAL_EXIT_CODES[stoppedBy]);
    }
    stoppedBy = signal;
    log.warn(
      { signal, graceMs: o.shutdownGraceMs },
      "stopping: taking no new file, finishing files in flight (signal again to exit now)",
    );
    augmenter.stop(signal);
  };
  process.on("SIGINT", () => onRunSignal("SIGINT"));
  process.on("SIGTERM", () => onRunSignal("SIGTERM"));
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
      makeDirectory(dirname(o.report));
      writeFileSync(o.report, `${JSON.stringify(report, null, 2)}\n`);
    } catch (err) {
      process.stderr.write(
        `augmenter: cannot write the report to ${o.report} (--report): ${(err as Error).message}\n`,
      );
      reportFailed = true;
    }
  }
  process.stdout.write(`${formatSummary(report)}\n`);
  // An interrupted run exits with the signal's code even if files also failed: "incomplete,
  // run again" is the message a caller (a shell, a job runner) must not miss.
  if (stoppedBy) return SIGNAL_EXIT_CODES[stoppedBy];
  return report.totals.failedFiles > 0 || reportFailed ? 1 : 0;
}

runMain("augmenter", main);
