import { describe, expect, it } from "vitest";
import { ConfigError } from "./config-error";
import { formatHelp } from "./format-help";
import { option } from "./option-spec";
import { parseOptions } from "./parse-options";

const specs = {
  port: option.number("port", "Port to listen on", {
    env: "PORT",
    default: 50051,
    integer: true,
    min: 0,
    max: 65535,
  }),
  mode: option.oneOf("mode", "Seniority mode", ["seeded", "keyword"] as const, { default: "seeded" }),
  once: option.boolean("once", "Run once", { default: false }),
  out: option.optionalString("out", "Output"),
  token: option.string("token", "Secret", {
    env: "TOKEN",
    default: "",
    secret: true,
    pattern: /^[a-z]+$/,
    patternHint: "lower-case letters",
  }),
};

describe("parseOptions", () => {
  it("reads flags in both forms, bare booleans, env fallbacks and defaults", () => {
    const r = parseOptions(specs, ["serve", "--port=7", "--once", "--out", "/tmp/x", "file"], {});
    expect(r.values).toEqual({ port: 7, mode: "seeded", once: true, out: "/tmp/x", token: "" });
    expect(r.positionals).toEqual(["serve", "file"]);
    expect(r.sources.port).toBe("flag");
    const e = parseOptions(specs, [], { PORT: "8080" });
    expect(e.values.port).toBe(8080);
    expect(e.sources.port).toBe("env");
    expect(parseOptions(specs, ["--port", "9"], { PORT: "8080" }).values.port).toBe(9);
  });

  it("names the flag or variable, the accepted values and every problem at once", () => {
    let err: unknown;
    try {
      parseOptions(specs, ["--port", "70000", "--mode=fast", "--nope", "1"], { TOKEN: "Secret123" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).toContain('--port (or PORT): expected an integer from 0 to 65535, got "70000"');
    expect(msg).toContain('--mode: expected one of seeded, keyword, got "fast"');
    expect(msg).toContain("unknown option --nope");
    expect(msg).toContain("TOKEN (or --token): expected lower-case letters, got <redacted>");
    expect(msg).not.toContain("Secret123");
    expect((err as ConfigError).problems).toHaveLength(4);
  });

  it("rejects a missing value and non-numbers", () => {
    expect(() => parseOptions(specs, ["--port"], {})).toThrow(/--port needs a value/);
    expect(() => parseOptions(specs, ["--port", "abc"], {})).toThrow(/expected an integer/);
    expect(() => parseOptions(specs, ["--port", ""], {})).toThrow(/expected an integer/);
  });

  it("accepts a URL with one of the schemes and names the variable for anything else", () => {
    const url = {
      endpoint: option.optionalUrl("s3-endpoint", "S3", { env: "S3_ENDPOINT", schemes: ["http", "https"] }),
    };
    expect(parseOptions(url, [], { S3_ENDPOINT: "http://127.0.0.1:9000" }).values.endpoint).toBe(
      "http://127.0.0.1:9000",
    );
    for (const bad of ["notaurl", "ftp://host", "http://", "127.0.0.1:9000"])
      expect(() => parseOptions(url, [], { S3_ENDPOINT: bad })).toThrow(
        /S3_ENDPOINT \(or --s3-endpoint\): expected a URL starting http:\/\/ or https:\/\//,
      );
  });

  it("generates help from the same declarations", () => {
    const help = formatHelp("usage: x", specs);
    expect(help).toContain("--port <value>");
    expect(help).toContain("[env PORT]");
    expect(help).toContain("accepts one of seeded, keyword");
  });
});
