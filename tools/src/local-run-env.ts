/**
 * The variables a user sets to run the augmenter on the default layout of bucket rl-data
 * against a local S3 server and model (npm start, run-and-verify).
 */
export function localRunEnv(
  s3: { endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string } },
  modelAddress: string,
): Record<string, string> {
  return {
    RAW_URI: "s3://rl-data/job-postings-raw/",
    MOD_URI: "s3://rl-data/job-postings-mod/",
    ERRORS_URI: "s3://rl-data/job-postings-errors/",
    S3_ENDPOINT: s3.endpoint,
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
    AWS_REGION: "us-east-1",
    SENIORITY_GRPC_ADDR: modelAddress,
  };
}
