import { describe, expect, it } from "vitest";
import type { ObjectStore } from "./object-store";
import { StoreCheckError, checkStore, explainStorageError } from "./reachable";

/** A store whose probe does what the test says: hang until aborted, or fail with `err`. */
const store = (err?: Error): ObjectStore =>
  ({
    location: "s3://bucket/raw/",
    probe: (signal?: AbortSignal) =>
      new Promise<void>((_, reject) => {
        if (err) reject(err);
        signal?.addEventListener("abort", () =>
          reject(Object.assign(new Error("aborted"), { name: "AbortError" })),
        );
      }),
  }) as unknown as ObjectStore;

describe("checkStore", () => {
  it("gives up on an endpoint that never answers, naming it, as a transient failure", async () => {
    const check = checkStore(store(), "http://10.0.0.1:9000", undefined, 50);
    await expect(check).rejects.toThrow(
      "no answer from the S3 endpoint http://10.0.0.1:9000 (S3_ENDPOINT (or --s3-endpoint)) for s3://bucket/raw/",
    );
    await expect(check).rejects.toMatchObject({ code: "ERR_UNREACHABLE" });
  });

  it("missing credentials and a missing bucket are configuration errors", async () => {
    const creds = Object.assign(new Error("Could not load credentials"), {
      name: "CredentialsProviderError",
    });
    await expect(checkStore(store(creds), undefined)).rejects.toMatchObject({
      code: "ERR_CONFIG",
      message: expect.stringMatching(/^no credentials for s3:\/\/bucket\/raw\/: set AWS_ACCESS_KEY_ID/),
    });
    const bucket = Object.assign(new Error("The specified bucket does not exist"), { name: "NoSuchBucket" });
    const e = explainStorageError(bucket, "s3://bucket/raw/", undefined, "S3_ENDPOINT");
    expect(e).toEqual({ message: "s3://bucket/raw/: the bucket does not exist at AWS S3", config: true });
    expect(new StoreCheckError(e).code).toBe("ERR_CONFIG");
  });
});
