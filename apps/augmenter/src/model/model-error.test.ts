import { describe, expect, it } from "vitest";
import { modelErrorFrom } from "./model-error";

describe("modelErrorFrom", () => {
  it("names the gRPC status, keeps the details and drops grpc-js's empty resolution note", () => {
    const e = modelErrorFrom({
      code: 14,
      details: "No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ",
    });
    expect(e.message).toBe(
      "model call failed: UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1",
    );
    expect(e.retryable).toBe(true);
  });

  it("keeps a resolution note that says something", () => {
    const details = "No connection established. Resolution note: DNS resolution failed for model:50051";
    expect(modelErrorFrom({ code: 14, details }).message).toBe(`model call failed: UNAVAILABLE: ${details}`);
  });
});
