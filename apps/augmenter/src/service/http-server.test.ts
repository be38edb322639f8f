import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import { startHttpServer, type HttpRoute } from "./http-server";

const endpoints = {
  registry: new Registry(),
  readiness: () => Promise.resolve({ ready: true, dependencies: [] }),
  liveness: () => ({ alive: true }),
};

describe("the admin HTTP server's extra routes", () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(() => close?.());

  it("hands every request under a route's prefix to it, whatever the method; the rest is unchanged", async () => {
    const seen: string[] = [];
    const route: HttpRoute = {
      prefix: "/admin/queues",
      handle: (req, res) => {
        seen.push(`${req.method} ${req.url}`);
        res.writeHead(204).end();
      },
    };
    const http = await startHttpServer(endpoints, "127.0.0.1", 0, [route]);
    close = http.close;
    const url = (path: string) => `http://127.0.0.1:${http.port}${path}`;
    expect((await fetch(url("/admin/queues"))).status).toBe(204);
    expect((await fetch(url("/admin/queues/api/x?y=1"), { method: "PUT" })).status).toBe(204);
    expect(seen).toEqual(["GET /admin/queues", "PUT /admin/queues/api/x?y=1"]);
    // Only whole path segments match; the server's own paths stay GET-only.
    const near = await fetch(url("/admin/queuesX"));
    expect(near.status).toBe(404);
    expect(await near.text()).toBe("not found: /metrics, /healthz, /readyz, /admin/queues\n");
    expect((await fetch(url("/healthz"), { method: "POST" })).status).toBe(405);
    expect((await fetch(url("/healthz"))).status).toBe(200);
  });
});
