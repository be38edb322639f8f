import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { README_OPTION_TABLES, withTable } from "./readme-options";

describe("app READMEs", () => {
  it.each(README_OPTION_TABLES.map((t) => [t.readme.pathname.split("/apps/")[1], t] as const))(
    "%s documents exactly the options the code accepts (run `npm run docs:options`)",
    (_name, { readme, specs }) => {
      const text = readFileSync(readme, "utf8");
      expect(text).toBe(withTable(text, specs));
    },
  );
});
