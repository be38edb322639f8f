export { DEFAULT_MOCK_OPTIONS, startMockSeniorityServer } from "./mock-server";
export type {
  MockSeniorityServer,
  MockSeniorityServerInput,
  MockSeniorityServerOptions,
} from "./mock-server";
export type { MockStatsSnapshot, LatencySummary } from "./mock-stats";
export { DEFAULT_FAULTS, ERROR_STATUS_NAMES, MALFORM_KINDS } from "./fault-injector";
export type { ErrorStatusName, FaultOptions, MalformKind } from "./fault-injector";
export { KEYWORD_DEFAULT_LEVEL, SENIORITY_MODES, keywordSeniority, seededSeniority } from "./seniority-modes";
export type { SeniorityMode } from "./seniority-modes";
export { PairThrottle } from "./pair-throttle";
