import { readFileSync } from "node:fs";
import { ConfigError } from "./config-error";

/** Reads a file an option names (a certificate, a key); a missing or unreadable one is a configuration error naming the option. */
export function readOptionFile(path: string, flag: string, env: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new ConfigError(`--${flag} (or ${env}): cannot read ${path}: ${reason}`);
  }
}
