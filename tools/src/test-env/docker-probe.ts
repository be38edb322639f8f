import { DockerTimeoutError, dockerEndpoint, dockerRequest } from "./docker-endpoint";

export type DockerProbe = { ok: true; where: string } | { ok: false; reason: string };

/**
 * Asks the Docker engine for `/_ping` (DOCKER_HOST, else /var/run/docker.sock) with a short
 * timeout, so a machine without an engine is told why in well under a second instead of
 * waiting on testcontainers' own discovery.
 */
export async function probeDocker(
  env: Readonly<Record<string, string | undefined>> = process.env,
  timeoutMs = 800,
): Promise<DockerProbe> {
  const endpoint = dockerEndpoint(env);
  if (!endpoint.ok) return endpoint;
  try {
    const res = await dockerRequest(endpoint, "GET", "/_ping", timeoutMs);
    return res.status === 200
      ? { ok: true, where: endpoint.host }
      : { ok: false, reason: `${endpoint.host} answered /_ping with HTTP ${res.status}` };
  } catch (err) {
    if (err instanceof DockerTimeoutError) return { ok: false, reason: err.message };
    const e = err as NodeJS.ErrnoException;
    return { ok: false, reason: `no Docker engine at ${endpoint.host} (${e.code ?? e.message})` };
  }
}
