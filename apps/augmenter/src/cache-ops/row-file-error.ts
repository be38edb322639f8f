/** A file of pair rows that cannot be read on from `line`: no usable header, a quote that never ends. */
export class RowFileError extends Error {
  readonly code = "ERR_ROW_FILE";
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
    this.name = this.constructor.name;
  }
}
