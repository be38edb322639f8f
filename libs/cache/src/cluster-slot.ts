/**
 * Redis Cluster's key slot: CRC16 (XMODEM) of the key, or of its hash tag (the text between
 * the first `{` and the next `}`, when not empty), modulo 16384. Used to group the keys of
 * one Lua call into one slot, which Redis Cluster requires.
 */
export const CLUSTER_SLOTS = 16_384;

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let b = 0; b < 8; b++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

export function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ b) & 0xff] ?? 0);
  return crc;
}

export function clusterSlot(key: string | Buffer): number {
  let k = typeof key === "string" ? Buffer.from(key) : key;
  const open = k.indexOf(0x7b); // {
  if (open !== -1) {
    const close = k.indexOf(0x7d, open + 1); // }
    if (close > open + 1) k = k.subarray(open + 1, close);
  }
  return crc16(k) % CLUSTER_SLOTS;
}
