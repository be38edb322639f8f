// Runs the local S3-compatible server (s3rver) as its own process, so a benchmark does not
// share a JS thread with it. Prints {"endpoint": ...} once ready; stops on SIGTERM.
import { startLocalS3Server } from "@rl/s3/testing";

const server = await startLocalS3Server({ buckets: (process.argv[2] ?? "rl-data").split(",") });
process.stdout.write(`${JSON.stringify({ endpoint: server.endpoint, ...server.credentials })}\n`);
const stop = () => void server.stop().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
