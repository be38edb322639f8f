// Apart from the command so that `augmenter files --help` prints it without loading BullMQ,
// the Redis client and the S3 client the commands need.
export const FILES_USAGE = `usage: augmenter files <command> [options]

The file queue of the deployment named by RAW_URI and MOD_URI, on CACHE_URL (Redis only):
  list-failed        the files set aside: key, ETag, attempts, when, and why
  retry <key>        put a set-aside file back on the queue, with fresh attempts
  retry --all        put every set-aside file back on the queue

Exit codes: 0 done, 1 nothing to retry for that key, 2 a configuration error.`;
