import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { MockStats } from "./mock-stats";

/**
 * `GET /metrics` (Prometheus text), `GET /stats` (JSON snapshot), `POST /reset` (zero the
 * counters, for tests and benchmarks) and `GET /healthz`.
 */
export async function startMetricsHttp(
  stats: MockStats,
  host: string,
  port: number,
): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { "content-type": type });
      res.end(body);
    };
    if (req.method === "GET" && url.pathname === "/metrics") {
      stats.registry.metrics().then(
        (text) => send(200, stats.registry.contentType, text),
        (err: Error) => send(500, "text/plain", `metrics failed: ${err.message}\n`),
      );
    } else if (req.method === "GET" && url.pathname === "/stats") {
      send(200, "application/json", `${JSON.stringify(stats.snapshot())}\n`);
    } else if (req.method === "POST" && url.pathname === "/reset") {
      stats.reset();
      send(200, "application/json", `${JSON.stringify(stats.snapshot())}\n`);
    } else if (req.method === "GET" && url.pathname === "/healthz") {
      send(200, "text/plain", "ok\n");
    } else {
      send(404, "text/plain", "not found: try GET /metrics, GET /stats, POST /reset, GET /healthz\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, server };
}
