import { dockerEndpoint, dockerRequest } from "./docker-endpoint";

export type ImageCheck = { ok: true; how: "present" | "pulled" } | { ok: false; reason: string };

/** `redis:7.2.5-alpine` → fromImage=redis, tag=7.2.5-alpine (a registry's port is not a tag). */
function pullQuery(image: string): string {
  const at = image.lastIndexOf(":");
  const [repo, tag] =
    at > image.lastIndexOf("/") ? [image.slice(0, at), image.slice(at + 1)] : [image, "latest"];
  return `fromImage=${encodeURIComponent(repo)}&tag=${encodeURIComponent(tag)}`;
}

const firstLine = (s: string) => s.trim().split("\n")[0]?.slice(0, 200) ?? "";

/**
 * Whether the engine has `image` or can pull it within `budgetMs`. An engine that answers but
 * cannot reach a registry fails here, quickly, instead of failing every test at container start.
 */
export async function checkImage(
  image: string,
  env: Readonly<Record<string, string | undefined>>,
  budgetMs: number,
): Promise<ImageCheck> {
  const endpoint = dockerEndpoint(env);
  if (!endpoint.ok) return endpoint;
  const started = Date.now();
  const inspect = () =>
    dockerRequest(endpoint, "GET", `/images/${encodeURIComponent(image)}/json`, Math.max(1, budgetMs));
  try {
    if ((await inspect()).status === 200) return { ok: true, how: "present" };
    const left = budgetMs - (Date.now() - started);
    const pull = await dockerRequest(
      endpoint,
      "POST",
      `/images/create?${pullQuery(image)}`,
      Math.max(1, left),
    );
    if (pull.status !== 200)
      return { ok: false, reason: `${image} is not here and cannot be pulled: ${firstLine(pull.body)}` };
    // A pull that fails half-way still answers 200, with an error in its progress stream.
    if ((await inspect()).status === 200) return { ok: true, how: "pulled" };
    return {
      ok: false,
      reason: `${image} is not here and its pull failed: ${firstLine(pull.body.split("\n").at(-2) ?? "")}`,
    };
  } catch (err) {
    return {
      ok: false,
      reason: `${image} is not here and cannot be pulled in ${budgetMs} ms (${(err as Error).message})`,
    };
  }
}
