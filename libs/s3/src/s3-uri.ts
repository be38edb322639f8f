export interface S3Location {
  bucket: string;
  /** Key prefix, "" or ending in "/". */
  prefix: string;
}

// S3's own bucket naming rules (3-63 chars, lower case, digits, dots, hyphens).
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Parses `s3://bucket/prefix/`; the prefix is normalised to end with "/" (or be empty). */
export function parseS3Uri(uri: string): S3Location {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(uri);
  if (!m) throw new Error(`expected an S3 URI like s3://bucket/prefix/, got ${JSON.stringify(uri)}`);
  const bucket = m[1] ?? "";
  if (!BUCKET.test(bucket)) {
    throw new Error(
      `invalid bucket name ${JSON.stringify(bucket)} in ${uri}: 3-63 lower-case letters, digits, dots or hyphens`,
    );
  }
  let prefix = m[2] ?? "";
  if (prefix.split("/").some((part) => part === ".." || part === ".")) {
    throw new Error(`S3 URI ${uri} has a "." or ".." path segment`);
  }
  if (prefix !== "" && !prefix.endsWith("/")) prefix += "/";
  return { bucket, prefix };
}

export function formatS3Uri(loc: S3Location, key = ""): string {
  return `s3://${loc.bucket}/${loc.prefix}${key}`;
}
