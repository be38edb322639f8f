// Reading a CACHE_URL, apart from opening one (open-store.ts): a command line is checked, and
// `--help` printed, without loading the Redis and LMDB clients a store needs.
import { parseMemcachedUrl } from "./memcached-store";

export const CACHE_URL_FORMS =
  "redis://[user:pass@]host:port[/db], rediss://... (TLS), redis-cluster://[user:pass@]host:port[,host:port...] (Redis Cluster; rediss-cluster:// for TLS), lmdb:///absolute/path, lmdb:relative/path, memcached://host:port[,host:port...], or memory:";

/** The cache URL forms whose stores offer administration (export, restore, stats, drop). */
export const ADMIN_URL_FORMS = "redis://, rediss://, redis-cluster://, rediss-cluster:// or lmdb:";

/** The seed nodes and credentials of a `redis-cluster://` or `rediss-cluster://` URL. */
export function parseRedisClusterUrl(url: string): {
  nodes: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
  tls: boolean;
} {
  const m = /^(rediss?)-cluster:\/\/(?:([^@/]*)@)?([^/?#]+)\/?$/.exec(url);
  if (!m)
    throw new Error(`expected redis-cluster://[user:pass@]host:port[,host:port...], got ${redactUrl(url)}`);
  const nodes = (m[3] ?? "").split(",").map((hp) => {
    const n = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(hp.trim());
    const port = Number(n?.[2]);
    if (!n || port < 1 || port > 65535)
      throw new Error(`${redactUrl(url)}: "${hp}" is not host:port (port 1-65535)`);
    return { host: (n[1] ?? "").replace(/^\[|\]$/g, ""), port };
  });
  const auth = m[2];
  const [user, pass] =
    auth === undefined ? [] : auth.includes(":") ? auth.split(/:(.*)/s) : [undefined, auth];
  return {
    nodes,
    ...(user ? { username: decodeURIComponent(user) } : {}),
    ...(pass !== undefined ? { password: decodeURIComponent(pass) } : {}),
    tls: m[1] === "rediss",
  };
}

/** A URL safe to log: the password replaced. */
export function redactUrl(url: string): string {
  return url.replace(/^([\w+.-]+:\/\/)([^@/]*)@/, (_m, scheme: string, auth: string) =>
    auth.includes(":") ? `${scheme}${auth.split(":")[0]}:***@` : `${scheme}***@`,
  );
}

/** Checks the form of a CACHE_URL without connecting; throws with the accepted forms. */
export function validateCacheUrl(url: string): void {
  if (/^rediss?:\/\/[^/]/.test(url) || /^lmdb:.+/.test(url) || url === "memory:") return;
  if (/^rediss?-cluster:/.test(url)) {
    parseRedisClusterUrl(url);
    return;
  }
  if (url.startsWith("memcached://")) {
    parseMemcachedUrl(url);
    return;
  }
  throw new Error(`expected ${CACHE_URL_FORMS}`);
}
