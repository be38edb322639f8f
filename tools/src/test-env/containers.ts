import { GenericContainer, Wait, type StartedTestContainer } from "testcontainers";

import { MINIO_IMAGE, REDIS_IMAGE } from "./images";

/** A container whose published ports bind to 127.0.0.1 only (testcontainers binds all interfaces by default). */
class LoopbackContainer extends GenericContainer {
  loopbackOnly(): this {
    for (const bindings of Object.values(this.hostConfig.PortBindings ?? {})) {
      for (const b of bindings as Array<{ HostIp?: string }>) b.HostIp = "127.0.0.1";
    }
    return this;
  }
}

export async function startRedisContainer(): Promise<{ url: string; container: StartedTestContainer }> {
  const container = await new LoopbackContainer(REDIS_IMAGE)
    .withExposedPorts(6379)
    .loopbackOnly()
    .withWaitStrategy(Wait.forLogMessage("Ready to accept connections"))
    .start();
  return { url: `redis://127.0.0.1:${container.getMappedPort(6379)}`, container };
}

export async function startMinioContainer(): Promise<{
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  container: StartedTestContainer;
}> {
  const credentials = { accessKeyId: "minio-test", secretAccessKey: "minio-test-secret" };
  const container = await new LoopbackContainer(MINIO_IMAGE)
    .withExposedPorts(9000)
    .loopbackOnly()
    .withEnvironment({
      MINIO_ROOT_USER: credentials.accessKeyId,
      MINIO_ROOT_PASSWORD: credentials.secretAccessKey,
    })
    .withCommand(["server", "/data"])
    .withWaitStrategy(Wait.forHttp("/minio/health/ready", 9000))
    .start();
  return { endpoint: `http://127.0.0.1:${container.getMappedPort(9000)}`, credentials, container };
}
