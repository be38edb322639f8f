import { MinioContainer } from "@testcontainers/minio";
import { RedisContainer } from "@testcontainers/redis";
import type { StartedTestContainer } from "testcontainers";

// The reaper (ryuk) is one more image to pull, and cannot be had without a registry: the
// harness stops every container it starts itself. A user may still turn it on.
process.env.TESTCONTAINERS_RYUK_DISABLED ??= "true";

export interface StartedServerContainer {
  container: StartedTestContainer;
}

export async function startRedisContainer(image: string): Promise<StartedServerContainer & { url: string }> {
  const container = await new RedisContainer(image).start();
  return { url: `redis://127.0.0.1:${container.getPort()}`, container };
}

export async function startMinioContainer(image: string): Promise<
  StartedServerContainer & {
    endpoint: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  }
> {
  const credentials = { accessKeyId: "minio-test", secretAccessKey: "minio-test-secret" };
  const container = await new MinioContainer(image)
    .withUsername(credentials.accessKeyId)
    .withPassword(credentials.secretAccessKey)
    .start();
  return { endpoint: `http://127.0.0.1:${container.getPort()}`, credentials, container };
}
