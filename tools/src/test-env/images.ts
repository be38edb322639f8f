// Pinned tags: a test run must not change because an image moved.
export const REDIS_IMAGE = "redis:7.2.5-alpine";
export const MINIO_IMAGE = "minio/minio:RELEASE.2024-06-13T22-53-53Z";
