// Original file: proto/seniority.proto


export interface SeniorityRequest {
  'uuid'?: (number);
  'company'?: (string);
  'title'?: (string);
}

export interface SeniorityRequest__Output {
  'uuid': (number);
  'company': (string);
  'title': (string);
}
