import type * as grpc from "@grpc/grpc-js";
import type { SeniorityModelHandlers } from "./generated/SeniorityModel";
import { loadSeniorityProto } from "./seniority-proto";

/** Registers a `SeniorityModel` implementation on a server the caller owns (and binds, starts, stops). */
export function addSeniorityModelService(server: grpc.Server, handlers: SeniorityModelHandlers): void {
  server.addService(loadSeniorityProto().SeniorityModel.service, handlers);
}
