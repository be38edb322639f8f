export { assertSafeKey } from "./object-store";
export type { ObjectHead, ObjectInfo, ObjectStore, PutOptions } from "./object-store";
export { S3ObjectStore, createS3Client } from "./s3-object-store";
export type { S3ClientOptions, S3ObjectStoreOptions } from "./s3-object-store";
export { LocalObjectStore } from "./local-object-store";
export type { Clock, LocalObjectStoreOptions } from "./local-object-store";
export { openObjectStore } from "./open-object-store";
export { formatS3Uri, parseS3Uri } from "./s3-uri";
export type { S3Location } from "./s3-uri";
