// Runs s3rver in its own process. Started by local-s3-server.ts with --openssl-legacy-provider:
// s3rver makes ListObjectsV2 continuation tokens with DES, which OpenSSL 3 (Node >= 17)
// disables, so without the flag every listing of more than 1000 keys fails with a 500.
import S3rver from "s3rver";

const options = JSON.parse(process.argv[2] ?? "{}");
const server = new S3rver({ address: "127.0.0.1", silent: true, ...options });
const { port } = await server.run();
process.stdout.write(`${JSON.stringify({ port })}\n`);
const stop = () => server.close().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
