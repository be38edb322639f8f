/** A client library's error as an operator reads it: ioredis's retry wording means "no connection". */
export function plainCause(err: Error): string {
  return /max retries per request|Connection is closed|Stream isn't writeable|enableOfflineQueue/i.test(
    err.message,
  )
    ? "no connection (the client gave up after its reconnect attempts)"
    : err.message;
}
