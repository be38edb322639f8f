export { startLocalS3Server } from "./local-s3-server";
export type { LocalS3Server } from "./local-s3-server";
