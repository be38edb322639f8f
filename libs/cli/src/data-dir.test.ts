import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { defaultDataDir } from "./data-dir";

const root = fileURLToPath(new URL("../../../", import.meta.url));

describe("defaultDataDir", () => {
  it("is the checkout's .data whatever the working directory, from the sources and from the bundle", () => {
    expect(defaultDataDir({})).toBe(join(root, ".data"));
    const bundle = new URL(`file://${root}dist/apps/augmenter/main.js`).href;
    expect(defaultDataDir({}, bundle)).toBe(join(root, ".data"));
  });

  it("is DATA_DIR when set, and an XDG data directory when not run from a checkout", () => {
    expect(defaultDataDir({ DATA_DIR: "/srv/aug" })).toBe("/srv/aug");
    expect(defaultDataDir({ XDG_DATA_HOME: "/x" }, "file:///app/dist/main.js")).toBe(
      "/x/seniority-augmenter",
    );
  });
});
