export { assertSafeKey, handingOverChunks, handsOverChunks, releaseChunk } from "./object-store";
export type { ObjectHead, ObjectInfo, ObjectStore, PutOptions } from "./object-store";
// S3ObjectStore and createS3Client are at "@rl/s3/s3-object-store": importing them loads the AWS
// SDK, which openObjectStore does only for an s3:// URI.
export type { S3ClientOptions } from "./s3-object-store";
export { LocalObjectStore, localFileEtag } from "./local-object-store";
export type { Clock, LocalObjectStoreOptions } from "./local-object-store";
export { openObjectStore } from "./open-object-store";
export { formatS3Uri, parseS3Uri } from "./s3-uri";
export type { S3Location } from "./s3-uri";
export { StoreCheckError, checkStore, explainStorageError, type StorageProblem } from "./reachable";
