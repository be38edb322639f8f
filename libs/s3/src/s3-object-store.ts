import { Readable } from "node:stream";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NotFound,
  S3Client,
  S3ServiceException,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import {
  assertSafeKey,
  type ObjectHead,
  type ObjectInfo,
  type ObjectStore,
  type PutOptions,
} from "./object-store";
import { formatS3Uri, type S3Location } from "./s3-uri";

export interface S3ClientOptions {
  /** Custom endpoint (MinIO, s3rver, LocalStack); implies path-style addressing. */
  endpoint?: string;
  /** @default AWS_REGION from the SDK's chain, else "us-east-1" */
  region?: string;
  /** Explicit credentials; otherwise the standard AWS credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** @default 3 */
  maxAttempts?: number;
}

export function createS3Client(options: S3ClientOptions = {}): S3Client {
  const config: S3ClientConfig = {
    region: options.region ?? "us-east-1",
    maxAttempts: options.maxAttempts ?? 3,
    // Checksums only where S3 requires them: third-party S3 servers often reject the newer
    // default (CRC32 trailers on every request).
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  };
  if (options.endpoint) {
    config.endpoint = options.endpoint;
    config.forcePathStyle = true;
  }
  if (options.credentials) config.credentials = options.credentials;
  return new S3Client(config);
}

const unquote = (etag: string | undefined) => (etag ?? "").replace(/^"|"$/g, "");

export interface S3ObjectStoreOptions {
  /** Part size of multipart uploads. @default 8 MiB */
  partSize?: number;
  /** Parts uploaded at once. @default 4 */
  queueSize?: number;
}

export class S3ObjectStore implements ObjectStore {
  readonly location: string;

  constructor(
    private readonly client: S3Client,
    private readonly where: S3Location,
    private readonly options: S3ObjectStoreOptions = {},
  ) {
    this.location = formatS3Uri(where);
  }

  private fullKey(key: string): string {
    assertSafeKey(key, this.location);
    return this.where.prefix + key;
  }

  async *list(options: { startAfter?: string } = {}): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      const res = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.where.bucket,
          Prefix: this.where.prefix,
          ContinuationToken: token,
          ...(token === undefined && options.startAfter !== undefined
            ? { StartAfter: this.where.prefix + options.startAfter }
            : {}),
        }),
      );
      for (const o of res.Contents ?? []) {
        if (!o.Key) continue;
        yield {
          key: o.Key.slice(this.where.prefix.length),
          size: o.Size ?? 0,
          etag: unquote(o.ETag),
          lastModified: o.LastModified ?? new Date(0),
        };
      }
      token = res.IsTruncated ? res.NextContinuationToken : undefined;
    } while (token);
  }

  async head(key: string): Promise<ObjectHead | undefined> {
    try {
      const res = await this.client.send(
        new HeadObjectCommand({ Bucket: this.where.bucket, Key: this.fullKey(key) }),
      );
      return { size: res.ContentLength ?? 0, etag: unquote(res.ETag), metadata: res.Metadata ?? {} };
    } catch (err) {
      if (
        err instanceof NotFound ||
        (err instanceof S3ServiceException && err.$metadata.httpStatusCode === 404)
      ) {
        return undefined;
      }
      throw err;
    }
  }

  async get(key: string): Promise<Readable> {
    const res = await this.client.send(
      new GetObjectCommand({ Bucket: this.where.bucket, Key: this.fullKey(key) }),
    );
    if (!(res.Body instanceof Readable))
      throw new Error(`GetObject ${this.location}${key} returned no stream`);
    return res.Body;
  }

  async put(
    key: string,
    body: Readable | Buffer | string,
    options: PutOptions = {},
  ): Promise<{ etag: string }> {
    // lib-storage sends small bodies as one PutObject and large ones as a multipart upload that
    // becomes visible only on completion; leavePartsOnError=false aborts it on failure.
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.where.bucket,
        Key: this.fullKey(key),
        Body: body,
        ...(options.metadata ? { Metadata: options.metadata } : {}),
        ...(options.contentType ? { ContentType: options.contentType } : {}),
      },
      partSize: this.options.partSize ?? 8 * 1024 * 1024,
      queueSize: this.options.queueSize ?? 4,
      leavePartsOnError: false,
    });
    const res = await upload.done();
    return { etag: unquote("ETag" in res ? res.ETag : undefined) };
  }

  async probe(signal?: AbortSignal): Promise<void> {
    await this.client.send(
      new ListObjectsV2Command({ Bucket: this.where.bucket, Prefix: this.where.prefix, MaxKeys: 1 }),
      signal ? { abortSignal: signal } : {},
    );
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.where.bucket, Key: this.fullKey(key) }));
  }
}
