import { describe, expect, it } from "vitest";
import { isLoopback, queueDashboardSettings } from "./queue-dashboard-settings";

const base = {
  queueDashboard: true,
  queueDashboardToken: undefined,
  queueDashboardTokenFile: undefined,
  httpHost: "127.0.0.1",
};
const TOKEN = "0123456789abcdef01";
const noFile = (): string => {
  throw new Error("no file expected");
};

describe("queue dashboard settings", () => {
  it("is off by default, whatever else is set", () => {
    expect(queueDashboardSettings({ ...base, queueDashboard: false, httpHost: "0.0.0.0" }, noFile)).toEqual({
      enabled: false,
    });
  });

  it("on a loopback address may go without a token", () => {
    for (const httpHost of ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"])
      expect(queueDashboardSettings({ ...base, httpHost }, noFile)).toEqual({
        enabled: true,
        token: undefined,
      });
  });

  it("on any other address is refused without a token, naming the variables and what they accept", () => {
    for (const httpHost of ["0.0.0.0", "::", "10.0.0.5", "augmenter.internal"])
      expect(() => queueDashboardSettings({ ...base, httpHost }, noFile)).toThrow(
        `QUEUE_DASHBOARD=on (--queue-dashboard) with HTTP_HOST=${httpHost} (--http-host), not a loopback address, needs a token: set QUEUE_DASHBOARD_TOKEN (16 or more characters) or QUEUE_DASHBOARD_TOKEN_FILE (a file holding it), or HTTP_HOST=127.0.0.1 (or ::1, localhost), or QUEUE_DASHBOARD=off`,
      );
    expect(
      queueDashboardSettings({ ...base, httpHost: "0.0.0.0", queueDashboardToken: TOKEN }, noFile),
    ).toEqual({
      enabled: true,
      token: TOKEN,
    });
  });

  it("reads the token from a file, without its trailing newline", () => {
    const read: string[] = [];
    const settings = queueDashboardSettings(
      { ...base, httpHost: "0.0.0.0", queueDashboardTokenFile: "/run/secrets/board" },
      (path) => {
        read.push(path);
        return `${TOKEN}\n`;
      },
    );
    expect(settings).toEqual({ enabled: true, token: TOKEN });
    expect(read).toEqual(["/run/secrets/board"]);
  });

  it("refuses a short token, and a token given twice", () => {
    expect(() => queueDashboardSettings({ ...base, queueDashboardToken: "secret" }, noFile)).toThrow(
      "the queue dashboard's token (QUEUE_DASHBOARD_TOKEN or QUEUE_DASHBOARD_TOKEN_FILE) has 6 characters: use 16 or more",
    );
    expect(() =>
      queueDashboardSettings({ ...base, queueDashboardToken: TOKEN, queueDashboardTokenFile: "/t" }, noFile),
    ).toThrow(
      "QUEUE_DASHBOARD_TOKEN and QUEUE_DASHBOARD_TOKEN_FILE (--queue-dashboard-token, --queue-dashboard-token-file) are both set",
    );
  });

  it("knows loopback addresses from the rest", () => {
    expect(["127.0.0.1", "127.255.0.1", "LOCALHOST", "::1"].every(isLoopback)).toBe(true);
    expect(["0.0.0.0", "::", "128.0.0.1", "127.example.com", "::ffff:10.0.0.1"].some(isLoopback)).toBe(false);
  });
});
