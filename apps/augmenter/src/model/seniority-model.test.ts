import * as grpc from "@grpc/grpc-js";
import { addSeniorityModelService } from "@rl/proto";
import { afterEach, describe, expect, it } from "vitest";
import { createGrpcSeniorityModel, type ProbedSeniorityModel } from "./seniority-model";

async function startModel(port = 0): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  addSeniorityModelService(server, {
    InferSeniority: (call, cb) =>
      cb(null, { batch: call.request.batch.map((r) => ({ uuid: r.uuid, seniority: 3 })) }),
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { server, port: bound };
}

const stopModel = (server: grpc.Server) => new Promise<void>((r) => server.tryShutdown(() => r()));

describe("the model's probe (readiness)", () => {
  let model: ProbedSeniorityModel | undefined;
  let server: grpc.Server | undefined;
  afterEach(async () => {
    model?.close();
    if (server) await stopModel(server);
  });

  it("answers while the model listens, rejects naming the address while it is gone, and answers within seconds of its return", async () => {
    const first = await startModel();
    server = first.server;
    model = createGrpcSeniorityModel({ address: `127.0.0.1:${first.port}` });
    await expect(model.probe(2_000)).resolves.toBeUndefined();

    await stopModel(first.server);
    server = undefined;
    await expect(model.probe(2_000)).rejects.toThrow(`127.0.0.1:${first.port}`);

    // Long enough for grpc-js's default backoff to have grown past what readiness allows.
    await new Promise((r) => setTimeout(r, 4_000));
    server = (await startModel(first.port)).server;
    const back = Date.now();
    let up = false;
    while (!up && Date.now() - back < 10_000) {
      up = await model.probe(1_000).then(
        () => true,
        () => false,
      );
      if (!up) await new Promise((r) => setTimeout(r, 200));
    }
    expect(up).toBe(true);
    expect(Date.now() - back).toBeLessThan(5_000);
  }, 25_000);
});
