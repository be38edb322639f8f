import * as grpc from "@grpc/grpc-js";
import { createSeniorityClient, inferSeniority } from "@rl/proto";

export interface ModelRequest {
  uuid: number;
  company: string;
  title: string;
}

export interface ModelAnswer {
  uuid: number;
  seniority: number;
}

/** The model as the scheduler sees it: one batch call with a deadline. */
export interface SeniorityModel {
  infer(batch: ModelRequest[], deadline: number): Promise<ModelAnswer[]>;
  close(): void;
}

export interface GrpcModelOptions {
  address: string;
  /** PEM CA bundle: when set (or `tls` is true), the channel uses TLS. */
  tls?: boolean;
  caPem?: Buffer;
}

export function createGrpcSeniorityModel(o: GrpcModelOptions): SeniorityModel {
  const credentials =
    o.tls || o.caPem ? grpc.credentials.createSsl(o.caPem ?? null) : grpc.credentials.createInsecure();
  const client = createSeniorityClient(o.address, {
    credentials,
    channelOptions: { "grpc.max_receive_message_length": 64 * 1024 * 1024, "grpc.keepalive_time_ms": 30_000 },
  });
  return {
    infer: (batch, deadline) => inferSeniority(client, batch, { deadline }),
    close: () => client.close(),
  };
}
