import { isIP } from "node:net";
import { ConfigError, readOptionFile } from "@rl/cli";

export type QueueDashboardSettings = { enabled: false } | { enabled: true; token: string | undefined };

/** Shorter tokens are guessable by whoever can reach the port; 16 characters of a random one are not. */
export const MIN_TOKEN_CHARS = 16;

/** Addresses only this machine reaches: the one place the board may go without a token. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1") return true;
  return isIP(h) === 4 && h.startsWith("127.");
}

/**
 * QUEUE_DASHBOARD, its token and HTTP_HOST checked together, once at start-up: a board that would
 * show every file's data to the network without a token is refused, naming what to set.
 */
export function queueDashboardSettings(
  o: {
    queueDashboard: boolean;
    queueDashboardToken: string | undefined;
    queueDashboardTokenFile: string | undefined;
    httpHost: string;
  },
  readFile: (path: string) => string = (path) =>
    readOptionFile(path, "queue-dashboard-token-file", "QUEUE_DASHBOARD_TOKEN_FILE").toString("utf8"),
): QueueDashboardSettings {
  if (!o.queueDashboard) return { enabled: false };
  if (o.queueDashboardToken !== undefined && o.queueDashboardTokenFile !== undefined)
    throw new ConfigError(
      "QUEUE_DASHBOARD_TOKEN and QUEUE_DASHBOARD_TOKEN_FILE (--queue-dashboard-token, --queue-dashboard-token-file) are both set: set one",
    );
  // A file written by `echo` or a secret mount ends in a newline that is not part of the token.
  const token =
    o.queueDashboardTokenFile !== undefined
      ? readFile(o.queueDashboardTokenFile).trim()
      : o.queueDashboardToken;
  if (token !== undefined && token.length < MIN_TOKEN_CHARS)
    throw new ConfigError(
      `the queue dashboard's token (QUEUE_DASHBOARD_TOKEN or QUEUE_DASHBOARD_TOKEN_FILE) has ${token.length} characters: use ${MIN_TOKEN_CHARS} or more, random (e.g. openssl rand -hex 24)`,
    );
  if (token === undefined && !isLoopback(o.httpHost))
    throw new ConfigError(
      `QUEUE_DASHBOARD=on (--queue-dashboard) with HTTP_HOST=${o.httpHost} (--http-host), not a loopback address, needs a token: set QUEUE_DASHBOARD_TOKEN (${MIN_TOKEN_CHARS} or more characters) or QUEUE_DASHBOARD_TOKEN_FILE (a file holding it), or HTTP_HOST=127.0.0.1 (or ::1, localhost), or QUEUE_DASHBOARD=off`,
    );
  return { enabled: true, token };
}
