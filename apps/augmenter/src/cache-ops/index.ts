export { IMPORT_TUNING, importPairs } from "./import-pairs";
export type { ImportOptions, ImportResult } from "./import-pairs";
export { warmCache } from "./warm-cache";
export { formatOf } from "./pair-rows";
