import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

const COOKIE = "queue_dashboard_token";

// Both sides hashed first: timingSafeEqual needs equal lengths, and comparing digests tells an
// attacker nothing about the token's length either.
const digest = (s: string) => createHash("sha256").update(s).digest();
const same = (given: string, token: Buffer) => timingSafeEqual(digest(given), token);

function cookieValue(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0 || part.slice(0, eq).trim() !== COOKIE) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined; // malformed: no token
    }
  }
  return undefined;
}

/**
 * Lets a request through to the dashboard only with the token: `Authorization: Bearer <token>`
 * (scripts), or the cookie a first visit with `?token=<token>` sets. A browser cannot add a header
 * to the UI's own XHRs, hence the cookie: HttpOnly (page scripts never read it), SameSite=Strict
 * (another site cannot ride it), scoped to `basePath`. That first visit is redirected to the same
 * URL without the token, so it stays out of the address bar, the history and Referer headers.
 *
 * Returns true when the request may go on; otherwise it has answered (401 or the redirect).
 */
export function tokenGate(token: string, basePath: string) {
  const expected = digest(token);
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    const url = new URL(req.url ?? "/", "http://dashboard.invalid");
    const query = url.searchParams.get("token");
    if (query !== null && same(query, expected)) {
      url.searchParams.delete("token");
      res
        .writeHead(303, {
          location: `${url.pathname}${url.search}`,
          "set-cookie": `${COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=${basePath}`,
          "cache-control": "no-store",
        })
        .end();
      return false;
    }
    const auth = req.headers.authorization ?? "";
    const bearer = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
    const cookie = cookieValue(req);
    if ((bearer !== undefined && same(bearer, expected)) || (cookie !== undefined && same(cookie, expected)))
      return true;
    res
      .writeHead(401, {
        "content-type": "text/plain",
        "www-authenticate": 'Bearer realm="queue dashboard"',
        "cache-control": "no-store",
      })
      .end(
        `queue dashboard: the token is required (Authorization: Bearer <token>, or open ${basePath}?token=<token> once)\n`,
      );
    return false;
  };
}
