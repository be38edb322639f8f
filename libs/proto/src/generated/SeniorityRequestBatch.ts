// Original file: proto/seniority.proto

import type { SeniorityRequest as _SeniorityRequest, SeniorityRequest__Output as _SeniorityRequest__Output } from './SeniorityRequest';

export interface SeniorityRequestBatch {
  'batch'?: (_SeniorityRequest)[];
}

export interface SeniorityRequestBatch__Output {
  'batch': (_SeniorityRequest__Output)[];
}
