export {
  INFER_SENIORITY_PATH,
  PROTO_LOADER_OPTIONS,
  loadSeniorityProto,
  seniorityProtoPath,
} from "./seniority-proto";
export { createSeniorityClient, inferSeniority } from "./seniority-client";
export type { InferOptions, SeniorityClientOptions } from "./seniority-client";
export { addSeniorityModelService } from "./seniority-server";
export type { SeniorityModelClient, SeniorityModelHandlers } from "./generated/SeniorityModel";
export type { SeniorityRequest, SeniorityRequest__Output } from "./generated/SeniorityRequest";
export type { SeniorityResponse, SeniorityResponse__Output } from "./generated/SeniorityResponse";
export type { SeniorityRequestBatch, SeniorityRequestBatch__Output } from "./generated/SeniorityRequestBatch";
export type {
  SeniorityResponseBatch,
  SeniorityResponseBatch__Output,
} from "./generated/SeniorityResponseBatch";
