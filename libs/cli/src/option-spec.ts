/**
 * A declarative option: one flag, optionally one environment variable, a parser whose errors say
 * what is accepted, and a default. Apps declare their options once and get parsing, validation,
 * `--help` text and a README table from the same declaration.
 */
export interface OptionSpec<T> {
  /** Long flag without dashes, kebab-case: `rate` for `--rate`. */
  readonly flag: string;
  /** Environment variable read when the flag is absent. */
  readonly env?: string;
  readonly description: string;
  /** Human-readable accepted values, used in errors and help. */
  readonly accepted: string;
  readonly defaultValue: T;
  /** A boolean option may appear bare (`--once`). */
  readonly isBoolean?: boolean;
  /** Values that must never be printed (credentials). */
  readonly secret?: boolean;
  /** Returns the parsed value, or throws an Error whose message explains what was wrong. */
  parse(raw: string): T;
}

interface Common<T> {
  env?: string;
  default: T;
  secret?: boolean;
}

function spec<T>(
  flag: string,
  description: string,
  accepted: string,
  c: Common<T>,
  parse: (raw: string) => T,
) {
  return {
    flag,
    description,
    accepted,
    defaultValue: c.default,
    parse,
    ...(c.env === undefined ? {} : { env: c.env }),
    ...(c.secret ? { secret: true } : {}),
  } satisfies OptionSpec<T>;
}

export const option = {
  string(flag: string, description: string, c: Common<string> & { pattern?: RegExp; patternHint?: string }) {
    const accepted = c.patternHint ?? "any text";
    return spec(flag, description, accepted, c, (raw) => {
      if (c.pattern && !c.pattern.test(raw)) throw new Error(`expected ${accepted}`);
      return raw;
    });
  },

  optionalString(flag: string, description: string, c: Omit<Common<string | undefined>, "default"> = {}) {
    return spec<string | undefined>(
      flag,
      description,
      "any text",
      { ...c, default: undefined },
      (raw) => raw,
    );
  },

  /** An optional URL whose scheme is one of `schemes` (e.g. an S3 endpoint: http, https). */
  optionalUrl(
    flag: string,
    description: string,
    c: Omit<Common<string | undefined>, "default"> & { schemes: readonly string[] },
  ) {
    const accepted = `a URL starting ${c.schemes.map((s) => `${s}://`).join(" or ")}`;
    return spec<string | undefined>(flag, description, accepted, { ...c, default: undefined }, (raw) => {
      let url: URL | undefined;
      try {
        url = new URL(raw);
      } catch {
        url = undefined;
      }
      if (!url || !c.schemes.includes(url.protocol.slice(0, -1)) || !url.hostname)
        throw new Error(`expected ${accepted}`);
      return raw;
    });
  },

  number(
    flag: string,
    description: string,
    c: Common<number> & { min?: number; max?: number; integer?: boolean },
  ) {
    const kind = c.integer ? "an integer" : "a number";
    const range =
      c.min !== undefined && c.max !== undefined
        ? ` from ${c.min} to ${c.max}`
        : c.min !== undefined
          ? ` >= ${c.min}`
          : c.max !== undefined
            ? ` <= ${c.max}`
            : "";
    const accepted = `${kind}${range}`;
    return spec(flag, description, accepted, c, (raw) => {
      const v = Number(raw.replace(/_/g, ""));
      const ok =
        raw.trim() !== "" &&
        Number.isFinite(v) &&
        (!c.integer || Number.isInteger(v)) &&
        (c.min === undefined || v >= c.min) &&
        (c.max === undefined || v <= c.max);
      if (!ok) throw new Error(`expected ${accepted}`);
      return v;
    });
  },

  boolean(flag: string, description: string, c: Common<boolean>) {
    return {
      ...spec(flag, description, "true or false (or the bare flag)", c, (raw) => {
        const v = raw.toLowerCase();
        if (["true", "1", "yes", "on"].includes(v)) return true;
        if (["false", "0", "no", "off"].includes(v)) return false;
        throw new Error("expected true or false");
      }),
      isBoolean: true,
    };
  },

  oneOf<const V extends string>(flag: string, description: string, values: readonly V[], c: Common<V>) {
    const accepted = `one of ${values.join(", ")}`;
    return spec(flag, description, accepted, c, (raw) => {
      if (!(values as readonly string[]).includes(raw)) throw new Error(`expected ${accepted}`);
      return raw as V;
    });
  },
};

export type OptionSpecs = Record<string, OptionSpec<unknown>>;
export type OptionValues<S extends OptionSpecs> = {
  [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never;
};
