import { request } from "node:http";

type Target = { socketPath: string } | { host: string; port: number };

/** The engine named by DOCKER_HOST (else /var/run/docker.sock), as Node's http wants it. */
export type DockerEndpoint = { ok: true; host: string; target: Target } | { ok: false; reason: string };

export function dockerEndpoint(env: Readonly<Record<string, string | undefined>>): DockerEndpoint {
  const host = env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
  if (host.startsWith("unix://"))
    return { ok: true, host, target: { socketPath: host.slice("unix://".length) } };
  if (host.startsWith("tcp://")) {
    const u = new URL(host.replace(/^tcp:/, "http:"));
    return { ok: true, host, target: { host: u.hostname, port: Number(u.port || 2375) } };
  }
  return { ok: false, reason: `DOCKER_HOST=${host} is not unix:// or tcp://` };
}

export class DockerTimeoutError extends Error {
  readonly code = "DOCKER_TIMEOUT";
  constructor(host: string, timeoutMs: number) {
    super(`no answer from ${host} within ${timeoutMs} ms`);
    this.name = this.constructor.name;
  }
}

/**
 * One request to the engine's API with a deadline for the whole answer (a pull streams its
 * progress until it ends), so callers can bound how long a check may take.
 */
export function dockerRequest(
  endpoint: Extract<DockerEndpoint, { ok: true }>,
  method: "GET" | "POST",
  path: string,
  timeoutMs: number,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ ...endpoint.target, path, method }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => {
        clearTimeout(deadline);
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    const deadline = setTimeout(() => {
      req.destroy();
      reject(new DockerTimeoutError(endpoint.host, timeoutMs));
    }, timeoutMs);
    req.on("error", (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    req.end();
  });
}
