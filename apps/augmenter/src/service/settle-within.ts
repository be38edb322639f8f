/**
 * Waits for `p` or `ms`, whichever comes first; a failure of `p` is not the caller's concern
 * (it has been reported where it happened). For shutdown steps that must not wait on a
 * dependency that does not answer.
 */
export async function settleWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p.catch(() => {}),
    new Promise<void>((r) => {
      timer = setTimeout(r, ms);
    }),
  ]);
  clearTimeout(timer);
}
