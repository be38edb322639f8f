// Original file: proto/seniority.proto

import type { SeniorityResponse as _SeniorityResponse, SeniorityResponse__Output as _SeniorityResponse__Output } from './SeniorityResponse';

export interface SeniorityResponseBatch {
  'batch'?: (_SeniorityResponse)[];
}

export interface SeniorityResponseBatch__Output {
  'batch': (_SeniorityResponse__Output)[];
}
