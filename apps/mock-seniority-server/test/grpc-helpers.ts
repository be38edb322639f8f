import * as grpc from "@grpc/grpc-js";
import {
  createSeniorityClient,
  inferSeniority,
  type SeniorityModelClient,
  type SeniorityRequest,
} from "@rl/proto";
import { service as healthService } from "grpc-health-check";

export function pairs(n: number, prefix = "p"): SeniorityRequest[] {
  return Array.from({ length: n }, (_, i) => ({
    uuid: i,
    company: `${prefix} company ${i % 97}`,
    title: `${prefix} title ${i}`,
  }));
}

export function client(address: string): SeniorityModelClient {
  return createSeniorityClient(address);
}

export { inferSeniority };

export async function healthStatus(address: string, service: string): Promise<string> {
  const Client = grpc.makeGenericClientConstructor(healthService, "Health");
  const c = new Client(address, grpc.credentials.createInsecure());
  try {
    return await new Promise((resolve, reject) =>
      (
        c as unknown as { check: (req: object, cb: (e: Error | null, r: { status: string }) => void) => void }
      ).check({ service }, (err, res) => (err ? reject(err) : resolve(res.status))),
    );
  } finally {
    c.close();
  }
}
