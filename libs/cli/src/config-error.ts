/** A configuration problem the operator must fix; `message` names the flag or variable and what it accepts. */
export class ConfigError extends Error {
  readonly code = "ERR_CONFIG";
  constructor(
    message: string,
    readonly problems: readonly string[] = [message],
  ) {
    super(message);
    this.name = this.constructor.name;
  }
}
