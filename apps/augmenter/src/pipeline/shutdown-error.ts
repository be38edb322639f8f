/** Work cut short because the service is shutting down (its grace ran out): not the file's fault. */
export class ShutdownError extends Error {
  readonly code = "ERR_SHUTDOWN";
  constructor() {
    super("aborted: the service is shutting down");
    this.name = this.constructor.name;
  }
}
