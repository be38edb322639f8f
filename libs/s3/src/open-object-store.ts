import { fileURLToPath } from "node:url";
import { LocalObjectStore } from "./local-object-store";
import type { ObjectStore } from "./object-store";
import type { S3ClientOptions } from "./s3-object-store";
import { parseS3Uri } from "./s3-uri";

/**
 * Opens `s3://bucket/prefix/`, `file:///dir/` or a plain directory path as an ObjectStore.
 * S3 stores opened with the same client options share one client (one connection pool).
 *
 * Async because the AWS SDK is imported only for an s3:// URI: loading it takes about half a
 * second, which a run over local directories need not pay. A bad URI rejects before anything
 * is loaded.
 */
export async function openObjectStore(uri: string, s3: S3ClientOptions = {}): Promise<ObjectStore> {
  if (uri.startsWith("s3://")) {
    const location = parseS3Uri(uri);
    const { S3ObjectStore, createS3Client } = await import("./s3-object-store");
    return new S3ObjectStore(createS3Client(s3), location);
  }
  if (uri.startsWith("file://")) return new LocalObjectStore(fileURLToPath(uri));
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    throw new Error(
      `unsupported storage URI ${JSON.stringify(uri)}: expected s3://bucket/prefix/, file:///dir/ or a directory path`,
    );
  }
  return new LocalObjectStore(uri);
}
