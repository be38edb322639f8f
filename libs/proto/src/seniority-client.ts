import * as grpc from "@grpc/grpc-js";
import type { SeniorityModelClient } from "./generated/SeniorityModel";
import type { SeniorityRequest } from "./generated/SeniorityRequest";
import type { SeniorityResponse__Output } from "./generated/SeniorityResponse";
import { loadSeniorityProto } from "./seniority-proto";

export interface SeniorityClientOptions {
  /** @default grpc.credentials.createInsecure() */
  credentials?: grpc.ChannelCredentials;
  /** Raw grpc-js channel options, e.g. `grpc.max_receive_message_length`. */
  channelOptions?: grpc.ChannelOptions;
}

export function createSeniorityClient(
  address: string,
  options: SeniorityClientOptions = {},
): SeniorityModelClient {
  const { SeniorityModel } = loadSeniorityProto();
  return new SeniorityModel(
    address,
    options.credentials ?? grpc.credentials.createInsecure(),
    options.channelOptions ?? {},
  );
}

export interface InferOptions {
  /** Absolute deadline for the call; omitted means no deadline. */
  deadline?: Date | number;
}

/** One `InferSeniority` call as a promise; rejects with the grpc `ServiceError` on failure. */
export function inferSeniority(
  client: SeniorityModelClient,
  batch: SeniorityRequest[],
  options: InferOptions = {},
): Promise<SeniorityResponse__Output[]> {
  const callOptions: grpc.CallOptions = options.deadline === undefined ? {} : { deadline: options.deadline };
  return new Promise((resolve, reject) => {
    client.InferSeniority({ batch }, new grpc.Metadata(), callOptions, (err, res) => {
      if (err) reject(err);
      else resolve(res?.batch ?? []);
    });
  });
}
