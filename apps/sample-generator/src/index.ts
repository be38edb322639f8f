export { DEFAULT_GENERATE_OPTIONS, fileKey, generateSamples } from "./generate-samples";
export type { GenerateOptions, GenerateSummary } from "./generate-samples";
export { PostingStream } from "./posting-stream";
export type { GeneratedRecord, PostingStreamOptions } from "./posting-stream";
export { HOSTILE_KINDS, formatPosting, hostileRecord } from "./hostile-lines";
export type { HostileKind, PostingFields } from "./hostile-lines";
export { buildVocabulary } from "./vocabulary";
export type { Company, Vocabulary, VocabularySizes } from "./vocabulary";
export { seedFromText } from "./random";
