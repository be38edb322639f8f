import { createRequire } from "node:module";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { ProtoGrpcType } from "./generated/seniority";

/** The method path the real model serves. No package prefix: see design.md §2.1. */
export const INFER_SENIORITY_PATH = "/SeniorityModel/InferSeniority";

/** Loader options shared by every client and server, and by the type generator (`npm run gen`). */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  oneofs: true,
};

/**
 * Path of the checked-in `seniority.proto`, resolved through the package so it is found both
 * from the TypeScript sources and from an esbuild bundle under `dist/`.
 */
export function seniorityProtoPath(): string {
  return createRequire(import.meta.url).resolve("@rl/proto/proto/seniority.proto");
}

let cached: ProtoGrpcType | undefined;

export function loadSeniorityProto(): ProtoGrpcType {
  cached ??= grpc.loadPackageDefinition(
    protoLoader.loadSync(seniorityProtoPath(), PROTO_LOADER_OPTIONS),
  ) as unknown as ProtoGrpcType;
  return cached;
}
