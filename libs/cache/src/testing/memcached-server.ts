import { spawn } from "node:child_process";
import { connect } from "node:net";
import { freePort } from "./redis-server";
import { stopChild } from "./stop-child";

/** Starts Debian's `memcached` on 127.0.0.1 and a free port; stops it by the pid it started. */
export async function startLocalMemcached(): Promise<{
  port: number;
  address: string;
  stop(): Promise<void>;
}> {
  const port = await freePort();
  const child = spawn(
    "memcached",
    ["-l", "127.0.0.1", "-p", String(port), "-U", "0", "-m", "64", "-u", "root"],
    { stdio: "ignore" },
  );
  const failed = new Promise<never>((_, reject) => {
    child.once("error", (err) =>
      reject(
        new Error(
          `cannot start memcached (is it installed? Debian: apt-get install memcached): ${err.message}`,
        ),
      ),
    );
    child.once("exit", (code) => reject(new Error(`memcached exited with ${code}`)));
  });
  const up = (async () => {
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = connect(port, "127.0.0.1", () => {
          s.destroy();
          resolve(true);
        });
        s.once("error", () => resolve(false));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`memcached did not listen on ${port}`);
  })();
  await Promise.race([up, failed]);
  failed.catch(() => {});
  return {
    port,
    address: `127.0.0.1:${port}`,
    stop: () => stopChild(child),
  };
}
