// cluster-key-slot ships no types; this is the one function this library calls.
declare module "cluster-key-slot" {
  /** Redis Cluster's slot of `key` (CRC16/XMODEM of the key or its hash tag, modulo 16384). */
  export default function calculateSlot(key: string | Buffer): number;
}
