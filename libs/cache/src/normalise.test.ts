import { describe, expect, it } from "vitest";
import { normaliseText } from "./normalise";

describe("normaliseText", () => {
  it("default: NFC, trim, white space folded; case and punctuation kept", () => {
    expect(normaliseText("  Senior\t Data\u00a0Engineer \n", "default")).toBe("Senior Data Engineer");
    expect(normaliseText("Zu\u0308rich", "default")).toBe("Z\u00fcrich");
    expect(normaliseText("Sr. Engineer", "default")).toBe("Sr. Engineer");
  });
  it("none keeps the exact text", () => {
    expect(normaliseText(" a  b ", "none")).toBe(" a  b ");
  });
  it("casefold also lowers case", () => {
    expect(normaliseText(" SENIOR  Data Engineer", "casefold")).toBe("senior data engineer");
  });
  it("aggressive folds punctuation and expands abbreviations", () => {
    expect(normaliseText("Sr. Software Eng., Backend", "aggressive")).toBe(
      "senior software engineer backend",
    );
    expect(normaliseText("VP - Sales", "aggressive")).toBe("vice president sales");
    expect(normaliseText("Vice President, Sales", "aggressive")).toBe("vice president sales");
  });
});
