import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { ReadinessReport } from "./readiness";

export interface HttpEndpoints {
  registry: Registry;
  /** `/readyz`: 200 when ready, else 503; the body says which dependency is down and since when. */
  readiness(): Promise<ReadinessReport>;
  /** `/healthz`: 200 while the process is not stuck, else 503. */
  liveness(): { alive: boolean };
}

/**
 * A handler for every request under `prefix` (the queue dashboard at `/admin/queues`), whatever
 * its method: the server's own paths stay GET-only.
 */
export interface HttpRoute {
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

const json = (body: unknown) => `${JSON.stringify(body)}\n`;

/** `/metrics` (Prometheus), `/healthz` (liveness), `/readyz` (dependencies answer), and `routes`. */
export async function startHttpServer(
  endpoints: HttpEndpoints,
  host: string,
  port: number,
  routes: readonly HttpRoute[] = [],
): Promise<{ port: number; close(): Promise<void> }> {
  const { registry } = endpoints;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const route = routes.find((r) => path === r.prefix || path.startsWith(`${r.prefix}/`));
    if (route) {
      route.handle(req, res);
    } else if (req.method !== "GET") {
      res.writeHead(405).end();
    } else if (path === "/metrics") {
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(`metrics failed: ${err.message}\n`),
      );
    } else if (path === "/healthz") {
      const live = endpoints.liveness();
      res.writeHead(live.alive ? 200 : 503, { "content-type": "application/json" }).end(json(live));
    } else if (path === "/readyz") {
      endpoints.readiness().then(
        (r) => res.writeHead(r.ready ? 200 : 503, { "content-type": "application/json" }).end(json(r)),
        (err: Error) => res.writeHead(500).end(json({ ready: false, error: err.message })),
      );
    } else {
      const known = ["/metrics", "/healthz", "/readyz", ...routes.map((r) => r.prefix)];
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${known.join(", ")}\n`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) =>
      reject(new Error(`cannot listen on ${host}:${port} (--http-port / HTTP_PORT): ${err.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
