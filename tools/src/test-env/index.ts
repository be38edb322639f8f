export { startTestEnvironment } from "./test-environment";
export type { Source, TestEnvironment, TestEnvironmentOptions } from "./test-environment";
export { probeDocker } from "./docker-probe";
export type { DockerProbe } from "./docker-probe";
export { MINIO_IMAGE, REDIS_IMAGE } from "./images";
export { startFaultProxy } from "./fault-proxy";
export type { FaultProxy, FaultProxyOptions } from "./fault-proxy";
