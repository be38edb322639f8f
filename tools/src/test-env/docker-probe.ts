import { request } from "node:http";

export type DockerProbe = { ok: true; where: string } | { ok: false; reason: string };

/**
 * Asks the Docker engine for `/_ping` (DOCKER_HOST, else /var/run/docker.sock) with a short
 * timeout, so a machine without an engine is told why in well under a second instead of
 * waiting on testcontainers' own discovery.
 */
export function probeDocker(
  env: Readonly<Record<string, string | undefined>> = process.env,
  timeoutMs = 800,
): Promise<DockerProbe> {
  const host = env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
  let target: { socketPath: string } | { host: string; port: number };
  if (host.startsWith("unix://")) target = { socketPath: host.slice("unix://".length) };
  else if (host.startsWith("tcp://")) {
    const u = new URL(host.replace(/^tcp:/, "http:"));
    target = { host: u.hostname, port: Number(u.port || 2375) };
  } else return Promise.resolve({ ok: false, reason: `DOCKER_HOST=${host} is not unix:// or tcp://` });
  return new Promise((resolve) => {
    const req = request({ ...target, path: "/_ping", method: "GET", timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(
        res.statusCode === 200
          ? { ok: true, where: host }
          : { ok: false, reason: `${host} answered /_ping with HTTP ${res.statusCode}` },
      );
    });
    req.on("timeout", () => {
      req.destroy();
      resolve({ ok: false, reason: `no answer from ${host} within ${timeoutMs} ms` });
    });
    req.on("error", (err: NodeJS.ErrnoException) =>
      resolve({ ok: false, reason: `no Docker engine at ${host} (${err.code ?? err.message})` }),
    );
    req.end();
  });
}
