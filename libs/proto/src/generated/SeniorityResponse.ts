// Original file: proto/seniority.proto


export interface SeniorityResponse {
  'uuid'?: (number);
  'seniority'?: (number);
}

export interface SeniorityResponse__Output {
  'uuid': (number);
  'seniority': (number);
}
