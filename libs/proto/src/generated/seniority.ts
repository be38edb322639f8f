import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { SeniorityModelClient as _SeniorityModelClient, SeniorityModelDefinition as _SeniorityModelDefinition } from './SeniorityModel';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  SeniorityModel: SubtypeConstructor<typeof grpc.Client, _SeniorityModelClient> & { service: _SeniorityModelDefinition }
  SeniorityRequest: MessageTypeDefinition
  SeniorityRequestBatch: MessageTypeDefinition
  SeniorityResponse: MessageTypeDefinition
  SeniorityResponseBatch: MessageTypeDefinition
}

