/**
 * Frees an ArrayBuffer's memory now, for a buffer its owner is done with: at once on Node >= 21
 * (`ArrayBuffer.prototype.transfer`), at the next young-generation collection on Node 20 (the
 * memory moves to a new, unreferenced ArrayBuffer). Left to the garbage collector, a buffer
 * whose object had outlived two young collections waits for a full collection, which V8 starts
 * only once ~64 MiB of such memory has piled up. Every view of `buffer` reads as empty after.
 */
export function freeArrayBuffer(buffer: ArrayBuffer): void {
  const b = buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer; detached?: boolean };
  if (b.detached === true || b.byteLength === 0) return;
  try {
    if (typeof b.transfer === "function") b.transfer(0);
    else structuredClone(b, { transfer: [b] });
  } catch {
    // Not detachable (Node marks some buffers so, e.g. its Buffer pool): left to the collector.
  }
}
