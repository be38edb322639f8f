import type { Queue } from "bullmq";
import type { HttpRoute } from "../service/http-server";
import { tokenGate } from "./dashboard-token-gate";

export interface QueueDashboardOptions {
  /**
   * Where the board lives on the admin HTTP port.
   * @default "/admin/queues"
   */
  basePath?: string;
  /**
   * Asked of every request when set (see `tokenGate`). Whether it may be absent is decided with
   * the listening address, by `queueDashboardSettings`.
   */
  token?: string | undefined;
  /**
   * Read-only: the board shows queues, jobs, their data and failure reasons, and offers no
   * action. With `false` it also retries, removes, cleans, pauses and empties: one leaked token
   * could then stop all work, while retrying a file is `augmenter files retry`'s job.
   * @default true
   */
  readOnly?: boolean;
}

export const DEFAULT_DASHBOARD_PATH = "/admin/queues";

/**
 * bull-board over `queues`, as a route of the admin HTTP server (`startHttpServer`'s `routes`).
 * Its packages load here, on first use, so a process with the board off never loads them.
 */
export async function mountQueueDashboard(
  queues: readonly Queue[],
  { basePath = DEFAULT_DASHBOARD_PATH, token, readOnly = true }: QueueDashboardOptions = {},
): Promise<HttpRoute> {
  const [
    { createBullBoard },
    { BullMQAdapter },
    { HonoAdapter },
    { Hono },
    { getRequestListener },
    { serveStatic },
  ] = await Promise.all([
    import("@bull-board/api"),
    import("@bull-board/api/bullMQAdapter"),
    import("@bull-board/hono"),
    import("hono"),
    import("@hono/node-server"),
    import("@hono/node-server/serve-static"),
  ]);
  // Hono is the lightest of bull-board's adapters that runs on a plain node:http server: no
  // framework of its own to start, one request listener.
  const board = new HonoAdapter(serveStatic).setBasePath(basePath);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: readOnly })),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: "augmenter" } },
  });
  const listener = getRequestListener(new Hono().route(basePath, board.registerPlugin()).fetch);
  const allowed = token === undefined ? () => true : tokenGate(token, basePath);
  return {
    prefix: basePath,
    handle: (req, res) => {
      if (allowed(req, res)) void listener(req, res);
    },
  };
}
