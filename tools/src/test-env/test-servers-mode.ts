/**
 * TEST_SERVERS: where the servers that the environment does not give come from.
 * - auto: containers where an engine answers and the image can be had, else local processes;
 * - containers: containers, or fail saying why;
 * - local: local processes, never asking Docker.
 */
export type TestServersMode = "auto" | "containers" | "local";

const MODES: readonly TestServersMode[] = ["auto", "containers", "local"];

export function testServersMode(env: Readonly<Record<string, string | undefined>>): TestServersMode {
  const v = env.TEST_SERVERS ?? "auto";
  if ((MODES as readonly string[]).includes(v)) return v as TestServersMode;
  throw new Error(`TEST_SERVERS=${v} is not one of ${MODES.join(", ")} (default auto)`);
}
