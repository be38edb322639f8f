import { Registry } from "prom-client";
import type { Page } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalRedis, type LocalRedisServer } from "@rl/cache/testing";
import { startHttpServer } from "../service/http-server";
import { mountQueueDashboard } from "./queue-dashboard";
import { chromiumMissing, launchChromium, type HeadlessChromium } from "./testing/headless-chromium";
import {
  DONE_FILE,
  FAILED_FILE,
  FAILED_REASON,
  settledFileQueue,
  type SettledFileQueue,
} from "./testing/settled-file-queue";

const TOKEN = "test-token-0123456789abcdef";

// Evaluated in the page (as strings: the tests' TypeScript has no DOM types).
const bodyText = (page: Page) => page.evaluate("document.body.innerText") as Promise<string>;
const untilShown = (page: Page, text: string) =>
  page.waitForFunction(`document.body.innerText.includes(${JSON.stringify(text)})`, { timeout: 15_000 });
const missing = chromiumMissing();
// The default reporter shows a skip only as a count: say which check did not run, and why.
if (missing) console.warn(`queue dashboard: the real-browser check is SKIPPED: ${missing}`);

describe("the queue dashboard on the admin HTTP port", () => {
  let redis: LocalRedisServer;
  let files: SettledFileQueue;
  let http: { port: number; close(): Promise<void> };
  let chromium: HeadlessChromium | undefined;
  let base: string;
  beforeAll(async () => {
    redis = await startLocalRedis();
    files = await settledFileQueue(redis.port);
    const board = await mountQueueDashboard([files.queue], { token: TOKEN });
    const endpoints = {
      registry: new Registry(),
      readiness: () => Promise.resolve({ ready: true, dependencies: [] }),
      liveness: () => ({ alive: true }),
    };
    http = await startHttpServer(endpoints, "127.0.0.1", 0, [board]);
    base = `http://127.0.0.1:${http.port}/admin/queues`;
    if (!missing) chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await http?.close();
    await files?.close();
    await redis?.stop();
  });

  it("answers 401 without the token, with a wrong one, and sets no cookie for a wrong ?token=", async () => {
    for (const path of ["", "/", "/api/queues", `/queue/${files.queue.name}`, "/static/images/logo.svg"])
      expect((await fetch(`${base}${path}`)).status, path).toBe(401);
    const wrongBearer = await fetch(`${base}/api/queues`, { headers: { authorization: "Bearer nope" } });
    expect(wrongBearer.status).toBe(401);
    expect(wrongBearer.headers.get("www-authenticate")).toBe('Bearer realm="queue dashboard"');
    const wrongCookie = await fetch(`${base}/api/queues`, {
      headers: { cookie: "queue_dashboard_token=nope" },
    });
    expect(wrongCookie.status).toBe(401);
    const wrongQuery = await fetch(`${base}?token=${TOKEN}x`, { redirect: "manual" });
    expect(wrongQuery.status).toBe(401);
    expect(wrongQuery.headers.get("set-cookie")).toBeNull();
    // The server's own paths are not behind the token.
    expect((await fetch(`http://127.0.0.1:${http.port}/healthz`)).status).toBe(200);
  });

  it("is read-only: with the token the API shows the failed file, and refuses to retry it", async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    const jobs = await fetch(`${base}/api/queues?activeQueue=${files.queue.name}&status=failed`, {
      headers: auth,
    });
    expect(jobs.status).toBe(200);
    const text = await jobs.text();
    expect(text).toContain(FAILED_FILE.key);
    expect(text).toContain(FAILED_REASON);

    const jobId = `${FAILED_FILE.key}@${FAILED_FILE.etag}`;
    const retry = await fetch(`${base}/api/queues/${files.queue.name}/${encodeURIComponent(jobId)}/retry`, {
      method: "PUT",
      headers: auth,
    });
    expect(retry.status).toBe(405);
    expect(await (await files.queue.getJob(jobId))?.getState()).toBe("failed");
  });

  it(
    missing
      ? `shows a failed file and its reason in a real browser: SKIPPED, ${missing}`
      : "shows a failed file and its reason in a real browser (Debian's chromium, headless)",
    { skip: missing !== undefined, timeout: 60_000 },
    async () => {
      if (!chromium) throw new Error("chromium did not start");
      const page = await chromium.browser.newPage();
      // The first visit carries the token; the redirect drops it from the URL and leaves the
      // cookie the UI's own API calls need.
      const first = await page.goto(`${base}?token=${TOKEN}`, { waitUntil: "networkidle0" });
      expect(first?.status()).toBe(200);
      expect(page.url()).toBe(base);
      const cookies = await page.browserContext().cookies();
      expect(cookies.find((c) => c.name === "queue_dashboard_token")).toMatchObject({
        httpOnly: true,
        sameSite: "Strict",
        path: "/admin/queues",
      });

      // From the overview, the queue's own "Failed" tab.
      const failedTab = await page.waitForSelector(`a[href$="/queue/${files.queue.name}?status=failed"]`);
      await failedTab?.click();
      await untilShown(page, FAILED_REASON);
      const failedView = await bodyText(page);
      expect(page.url()).toBe(`${base}/queue/${files.queue.name}?status=failed`);
      expect(failedView).toContain(FAILED_FILE.key);
      expect(failedView).toContain(`Error: ${FAILED_REASON}`);
      expect(failedView).not.toContain(DONE_FILE.key);

      // The job's data names the file and its ETag.
      const [dataTab] = await page.$$("xpath/.//button[normalize-space()='Data']");
      await dataTab?.click();
      await untilShown(page, `etag:"${FAILED_FILE.etag}"`);
      expect(await bodyText(page)).toContain(`key:"${FAILED_FILE.key}"`);
      await page.close();
    },
  );
});
