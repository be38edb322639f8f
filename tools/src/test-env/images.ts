/**
 * The containers' images: pinned tags, so a run does not change because an image moved, each
 * overridable from the environment so a locally built image serves where no registry can be
 * reached (`npm run images` builds local/redis:7 from Debian's package).
 */
export const DEFAULT_IMAGES = {
  redis: "redis:7.2.5-alpine",
  minio: "minio/minio:RELEASE.2024-06-13T22-53-53Z",
} as const;

export const REDIS_IMAGE = DEFAULT_IMAGES.redis;
export const MINIO_IMAGE = DEFAULT_IMAGES.minio;

export type TestImages = { redis: string; minio: string };

export function testImages(env: Readonly<Record<string, string | undefined>>): TestImages {
  return {
    redis: env.REDIS_IMAGE || DEFAULT_IMAGES.redis,
    minio: env.MINIO_IMAGE || DEFAULT_IMAGES.minio,
  };
}
