import { mkdir, mkdtemp, realpath, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError } from "@rl/cli";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultErrorsUri } from "../config";
import { assertSeparateLocations, type Locations } from "./locations";

let dir: string;
beforeAll(async () => {
  // realpath: the temp directory itself may sit behind a symlink (macOS /var -> /private/var).
  dir = await realpath(await mkdtemp(join(tmpdir(), "locations-")));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const check = (l: Locations) => () => assertSeparateLocations(l, { cwd: dir });

/** The ConfigError's message, failing the test if nothing (or something else) was thrown. */
function refusal(l: Locations): string {
  try {
    check(l)();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error(`expected ${JSON.stringify(l)} to be refused`);
}

const RULE = "the raw, mod and errors locations must be three places, none equal to or inside another";

describe("assertSeparateLocations", () => {
  it("accepts three separate places, on S3 and locally", () => {
    expect(check({ raw: "s3://bkt/raw/", mod: "s3://bkt/mod/", errors: "s3://bkt/errors/" })).not.toThrow();
    expect(check({ raw: "s3://bkt/x/raw/", mod: "s3://bkt/x/mod", errors: "s3://cbk/x/raw/" })).not.toThrow();
    expect(
      check({ raw: join(dir, "raw"), mod: join(dir, "mod"), errors: join(dir, "errors") }),
    ).not.toThrow();
  });

  it("refuses two equal locations, naming both flags, variables and values, and the rule", () => {
    expect(refusal({ raw: "s3://bkt/x/", mod: "s3://bkt/mod/", errors: "s3://bkt/x/" })).toBe(
      `--raw-uri (or RAW_URI) s3://bkt/x/ is the same place as --errors-uri (or ERRORS_URI) s3://bkt/x/: ${RULE}`,
    );
  });

  it("refuses one location inside another, whichever way round", () => {
    expect(refusal({ raw: "s3://bkt/in/", mod: "s3://bkt/in/mod/", errors: "s3://bkt/errors/" })).toBe(
      `--mod-uri (or MOD_URI) s3://bkt/in/mod/ is inside --raw-uri (or RAW_URI) s3://bkt/in/: ${RULE}`,
    );
    expect(refusal({ raw: "s3://bkt/out/raw/", mod: "s3://bkt/out/", errors: "s3://bkt/errors/" })).toBe(
      `--raw-uri (or RAW_URI) s3://bkt/out/raw/ is inside --mod-uri (or MOD_URI) s3://bkt/out/: ${RULE}`,
    );
    expect(refusal({ raw: "s3://bkt/raw/", mod: "s3://bkt/mod/", errors: "s3://bkt/mod/deep/er/" })).toMatch(
      /^--errors-uri \(or ERRORS_URI\) s3:\/\/bkt\/mod\/deep\/er\/ is inside --mod-uri \(or MOD_URI\) s3:\/\/bkt\/mod\/:/,
    );
  });

  it("lists every overlapping pair", () => {
    const message = refusal({ raw: "s3://bkt/x/", mod: "s3://bkt/x/mod/", errors: "s3://bkt/x" });
    expect(message).toBe(
      [
        `${RULE}:`,
        "  --mod-uri (or MOD_URI) s3://bkt/x/mod/ is inside --raw-uri (or RAW_URI) s3://bkt/x/",
        "  --raw-uri (or RAW_URI) s3://bkt/x/ is the same place as --errors-uri (or ERRORS_URI) s3://bkt/x",
        "  --mod-uri (or MOD_URI) s3://bkt/x/mod/ is inside --errors-uri (or ERRORS_URI) s3://bkt/x",
      ].join("\n"),
    );
  });

  it("treats the bucket root as holding every prefix of that bucket only", () => {
    expect(refusal({ raw: "s3://bkt", mod: "s3://bkt/mod/", errors: "s3://cbk/errors/" })).toContain(
      "--mod-uri (or MOD_URI) s3://bkt/mod/ is inside --raw-uri (or RAW_URI) s3://bkt:",
    );
    expect(refusal({ raw: "s3://bkt/", mod: "s3://cbk/mod/", errors: "s3://bkt/errors/" })).toContain(
      "--errors-uri (or ERRORS_URI) s3://bkt/errors/ is inside --raw-uri (or RAW_URI) s3://bkt/",
    );
    expect(check({ raw: "s3://bkt2/", mod: "s3://bkt/mod/", errors: "s3://bkt/errors/" })).not.toThrow();
  });

  it("compares on path-segment boundaries: raw and raw2 do not overlap", () => {
    expect(
      check({ raw: "s3://bkt/raw", mod: "s3://bkt/raw2/", errors: "s3://bkt/raw-errors" }),
    ).not.toThrow();
    expect(
      check({ raw: join(dir, "raw"), mod: join(dir, "raw2"), errors: `${join(dir, "raw")}-errors/` }),
    ).not.toThrow();
  });

  it("ignores trailing slashes", () => {
    expect(refusal({ raw: "s3://bkt/x", mod: "s3://bkt/x//", errors: "s3://bkt/e/" })).toContain(
      "--raw-uri (or RAW_URI) s3://bkt/x is the same place as --mod-uri (or MOD_URI) s3://bkt/x//:",
    );
    expect(refusal({ raw: join(dir, "a"), mod: `${join(dir, "a")}//`, errors: join(dir, "e") })).toContain(
      "is the same place as --mod-uri (or MOD_URI)",
    );
  });

  it("sees a file:// URL and a plain path to the same directory as one place", () => {
    const url = pathToFileURL(join(dir, "with space")).href; // file:///…/with%20space
    expect(url).toContain("%20");
    expect(refusal({ raw: url, mod: join(dir, "with space", "mod"), errors: join(dir, "e") })).toBe(
      `--mod-uri (or MOD_URI) ${join(dir, "with space", "mod")} is inside --raw-uri (or RAW_URI) ${url} (${join(dir, "with space")}/): ${RULE}`,
    );
  });

  it("resolves relative paths against the working directory", () => {
    expect(refusal({ raw: "data", mod: join(dir, "data"), errors: "./errors" })).toBe(
      `--raw-uri (or RAW_URI) data (${join(dir, "data")}/) is the same place as --mod-uri (or MOD_URI) ${join(dir, "data")}: ${RULE}`,
    );
    expect(refusal({ raw: "../raw", mod: join(dir, "..", "raw", "mod"), errors: "e" })).toContain(
      "is inside --raw-uri (or RAW_URI) ../raw",
    );
  });

  it("follows a symlink above a location, even one that does not exist yet", async () => {
    await mkdir(join(dir, "real", "raw"), { recursive: true });
    await symlink(join(dir, "real"), join(dir, "link"));
    expect(
      refusal({ raw: join(dir, "real", "raw"), mod: join(dir, "link", "raw"), errors: join(dir, "e") }),
    ).toBe(
      `--raw-uri (or RAW_URI) ${join(dir, "real", "raw")} is the same place as --mod-uri (or MOD_URI) ${join(dir, "link", "raw")} (${join(dir, "real", "raw")}/): ${RULE}`,
    );
    expect(
      refusal({ raw: join(dir, "real"), mod: join(dir, "link", "not-yet", "mod"), errors: join(dir, "e") }),
    ).toContain(`(${join(dir, "real", "not-yet", "mod")}/) is inside --raw-uri (or RAW_URI)`);
  });

  it("says when the errors location is the default derived from MOD_URI, and to set ERRORS_URI", () => {
    const mod = "s3://bkt/in/mod/";
    expect(defaultErrorsUri(mod)).toBe("s3://bkt/in/errors/");
    // Local directories: beside the mod directory, also for a bare relative one.
    expect(["mod2/", "mod2", "./mod2/", "data/mod/", "/mod"].map(defaultErrorsUri)).toEqual([
      "errors/",
      "errors/",
      "./errors/",
      "data/errors/",
      "/errors/",
    ]);
    expect(check({ raw: "raw/", mod: "mod2/", errors: defaultErrorsUri("mod2/") })).not.toThrow();
    const message = refusal({
      raw: "s3://bkt/in/",
      mod,
      errors: defaultErrorsUri(mod),
      errorsIsDefault: true,
    });
    expect(message).toContain(
      "--errors-uri (or ERRORS_URI; default, derived from MOD_URI) s3://bkt/in/errors/ is inside --raw-uri (or RAW_URI) s3://bkt/in/",
    );
    expect(message).toContain(`${RULE}; set ERRORS_URI (or --errors-uri) to a place of its own`);
  });

  it("never sees an S3 location and a local directory as overlapping", () => {
    expect(check({ raw: "s3://bkt/x/", mod: "/x", errors: "file:///x/e/" })).toThrow(
      /--errors-uri \(or ERRORS_URI\) file:\/\/\/x\/e\/ \(\/x\/e\/\) is inside --mod-uri/,
    );
    expect(check({ raw: "s3://bkt/x/", mod: "/bkt/x", errors: "s3x/e/" })).not.toThrow();
  });

  it("names the variable of a location it cannot read", () => {
    expect(check({ raw: "s3://Bad_Bucket/x", mod: "/m", errors: "/e" })).toThrow(
      /^--raw-uri \(or RAW_URI\): invalid bucket name "Bad_Bucket"/,
    );
    expect(check({ raw: "/r", mod: "gs://b/m/", errors: "/e" })).toThrow(
      /^--mod-uri \(or MOD_URI\): unsupported storage URI "gs:\/\/b\/m\/"/,
    );
  });
});
