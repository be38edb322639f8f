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

/** A model whose reachability can be asked without paying for an inference (readiness). */
export interface ProbedSeniorityModel extends SeniorityModel {
  /** Resolves once a connection to the model is up; rejects with the cause, or after `timeoutMs`. */
  probe(timeoutMs: number): Promise<void>;
}

export interface GrpcModelOptions {
  address: string;
  /** PEM CA bundle: when set (or `tls` is true), the channel uses TLS. */
  tls?: boolean;
  caPem?: Buffer;
}

/**
 * grpc-js backs off reconnecting up to 120 s by default, so a model back after a long outage
 * could wait two minutes for its first call (and readiness with it). One attempt every 2 s at
 * most costs a refused TCP connect while it is down.
 */
const MAX_RECONNECT_BACKOFF_MS = 2_000;

export function createGrpcSeniorityModel(o: GrpcModelOptions): ProbedSeniorityModel {
  const credentials =
    o.tls || o.caPem ? grpc.credentials.createSsl(o.caPem ?? null) : grpc.credentials.createInsecure();
  const client = createSeniorityClient(o.address, {
    credentials,
    channelOptions: {
      "grpc.max_receive_message_length": 64 * 1024 * 1024,
      "grpc.keepalive_time_ms": 30_000,
      "grpc.initial_reconnect_backoff_ms": 500,
      "grpc.max_reconnect_backoff_ms": MAX_RECONNECT_BACKOFF_MS,
    },
  });
  return {
    infer: (batch, deadline) => inferSeniority(client, batch, { deadline }),
    probe: (timeoutMs) => channelReady(client.getChannel(), o.address, timeoutMs),
    close: () => client.close(),
  };
}

/**
 * The channel's own view: READY is up; TRANSIENT_FAILURE (connect refused, TLS handshake
 * failed) is down at once; IDLE and CONNECTING are asked to connect and waited for.
 */
function channelReady(channel: grpc.ChannelInterface, address: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const check = () => {
      const state = channel.getConnectivityState(true);
      if (state === grpc.connectivityState.READY) return resolve();
      if (state === grpc.connectivityState.TRANSIENT_FAILURE || state === grpc.connectivityState.SHUTDOWN)
        return reject(
          new Error(`cannot connect to ${address} (gRPC channel ${grpc.connectivityState[state]})`),
        );
      channel.watchConnectivityState(state, deadline, (err) =>
        err
          ? reject(
              new Error(
                `no connection to ${address} within ${timeoutMs} ms (gRPC channel ${grpc.connectivityState[state]})`,
              ),
            )
          : check(),
      );
    };
    check();
  });
}
