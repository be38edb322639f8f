import { ShutdownError } from "./shutdown-error";

/** `p`, or a rejection as soon as `signal` aborts: no wait outlives the shutdown grace. */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new ShutdownError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new ShutdownError());
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e as Error);
      },
    );
  });
}
