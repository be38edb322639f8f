import { ConfigError } from "./config-error";

/** Exit codes every command shares: 0 done, 1 failed, 2 a configuration error the operator must fix. */
export const EXIT = { ok: 0, failed: 1, config: 2 } as const;

/** Errors that mean a bug here rather than a problem outside: their stack helps whoever reports it. */
const PROGRAMMING_ERRORS = [TypeError, ReferenceError, RangeError, SyntaxError];

/** One line for the operator: the message and, where a library wrapped it, the cause's message. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause && !err.message.includes(cause) ? `${err.message}: ${cause}` : err.message;
}

/** A ConfigError, or an error of a library that marks it the same way (`code: "ERR_CONFIG"`). */
const isConfigError = (err: unknown) =>
  err instanceof ConfigError || (err as { code?: unknown } | undefined)?.code === "ERR_CONFIG";

/**
 * Silences the AWS SDK's per-process Node-version notice: the runtime advice is given once, in
 * the README and `augmenter --version`, not on every start (children inherit the setting).
 */
export function quietRuntimeNotice(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
}

/**
 * Runs a command's `main` and turns its outcome into an exit code and, on failure, one line on
 * stderr prefixed with the command's name: no stack trace for what the operator can act on (a
 * configuration error exits 2, anything else 1). A stack is printed only for what looks like a
 * bug (a TypeError and the like), or for any failure with `DEBUG` set.
 * Also quiets the runtime notice (see quietRuntimeNotice).
 */
export function runMain(name: string, main: () => Promise<number | void>): void {
  quietRuntimeNotice();
  main().then(
    (code) => {
      // A command that leaves servers or timers behind must still end; `process.exitCode`
      // would wait for them.
      if (typeof code === "number") process.exit(code);
    },
    (err: unknown) => {
      const stack =
        process.env.DEBUG || PROGRAMMING_ERRORS.some((E) => err instanceof E)
          ? `\n${(err as Error).stack ?? ""}`
          : "";
      process.stderr.write(`${name}: ${describeError(err)}${stack}\n`);
      process.exit(isConfigError(err) ? EXIT.config : EXIT.failed);
    },
  );
}
