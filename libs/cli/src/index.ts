export { ConfigError } from "./config-error";
export { option } from "./option-spec";
export type { OptionSpec, OptionSpecs, OptionValues } from "./option-spec";
export { parseOptions } from "./parse-options";
export type { ParsedCommandLine } from "./parse-options";
export { formatHelp, formatMarkdownTable } from "./format-help";
export { createProgress } from "./progress";
export type { Progress, ProgressOptions } from "./progress";
