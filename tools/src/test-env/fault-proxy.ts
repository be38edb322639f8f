import { createServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FaultProxyOptions {
  /** Where requests go when no fault is drawn, e.g. the local S3 server. */
  target: string;
  /** Fraction of requests answered 500 InternalError. @default 0 */
  internalErrorRate?: number;
  /** Fraction answered 503 SlowDown. @default 0 */
  slowDownRate?: number;
  /** Fraction whose connection is dropped without an answer (after the request is read). @default 0 */
  dropRate?: number;
  /** Random source, for reproducible schedules. @default Math.random */
  random?: () => number;
}

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`, to give as S3_ENDPOINT. */
  readonly endpoint: string;
  readonly counts: { forwarded: number; internalErrors: number; slowDowns: number; dropped: number };
  /** Changes the fault rates from now on (0 turns a fault off). */
  set(rates: Pick<FaultProxyOptions, "internalErrorRate" | "slowDownRate" | "dropRate">): void;
  stop(): Promise<void>;
}

const s3Error = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`;

/**
 * An HTTP proxy on 127.0.0.1 that answers a share of requests with S3's 500 InternalError or
 * 503 SlowDown, or drops their connection, and forwards the rest unchanged: S3 faults on demand
 * in front of a local S3 server. Faults are drawn per request, after its body is read.
 */
export async function startFaultProxy(o: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(o.target);
  const random = o.random ?? Math.random;
  const rates = { internalErrorRate: 0, slowDownRate: 0, dropRate: 0, ...o };
  const counts = { forwarded: 0, internalErrors: 0, slowDowns: 0, dropped: 0 };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const x = random();
    const fault =
      x < rates.dropRate
        ? "drop"
        : x < rates.dropRate + rates.internalErrorRate
          ? "500"
          : x < rates.dropRate + rates.internalErrorRate + rates.slowDownRate
            ? "503"
            : undefined;
    if (fault) {
      req.resume();
      req.on("end", () => {
        if (fault === "drop") {
          counts.dropped += 1;
          req.socket.destroy();
          return;
        }
        if (fault === "500") counts.internalErrors += 1;
        else counts.slowDowns += 1;
        const body =
          fault === "500"
            ? s3Error("InternalError", "We encountered an internal error. Please try again.")
            : s3Error("SlowDown", "Please reduce your request rate.");
        res.writeHead(fault === "500" ? 500 : 503, { "content-type": "application/xml" });
        res.end(body);
      });
      return;
    }
    counts.forwarded += 1;
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    set(r) {
      Object.assign(rates, r);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
