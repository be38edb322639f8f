// Original file: proto/seniority.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { SeniorityRequestBatch as _SeniorityRequestBatch, SeniorityRequestBatch__Output as _SeniorityRequestBatch__Output } from './SeniorityRequestBatch';
import type { SeniorityResponseBatch as _SeniorityResponseBatch, SeniorityResponseBatch__Output as _SeniorityResponseBatch__Output } from './SeniorityResponseBatch';

export interface SeniorityModelClient extends grpc.Client {
  InferSeniority(argument: _SeniorityRequestBatch, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_SeniorityResponseBatch__Output>): grpc.ClientUnaryCall;
  InferSeniority(argument: _SeniorityRequestBatch, metadata: grpc.Metadata, callback: grpc.requestCallback<_SeniorityResponseBatch__Output>): grpc.ClientUnaryCall;
  InferSeniority(argument: _SeniorityRequestBatch, options: grpc.CallOptions, callback: grpc.requestCallback<_SeniorityResponseBatch__Output>): grpc.ClientUnaryCall;
  InferSeniority(argument: _SeniorityRequestBatch, callback: grpc.requestCallback<_SeniorityResponseBatch__Output>): grpc.ClientUnaryCall;
  inferSeniority(argument: _SeniorityRequestBatch, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_SeniorityResponseBatch__Output>): grpc.ClientUnaryCall;
  inferSeniority(argument: _SeniorityRequestBatch, metadata: grpc.Metadata, callback: grpc.requestCallback<_SeniorityResponseBatch__Output>): grpc.ClientUnaryCall;
  inferSeniority(argument: _SeniorityRequestBatch, options: grpc.CallOptions, callback: grpc.requestCallback<_SeniorityResponseBatch__Output>): grpc.ClientUnaryCall;
  inferSeniority(argument: _SeniorityRequestBatch, callback: grpc.requestCallback<_SeniorityResponseBatch__Output>): grpc.ClientUnaryCall;
  
}

export interface SeniorityModelHandlers extends grpc.UntypedServiceImplementation {
  InferSeniority: grpc.handleUnaryCall<_SeniorityRequestBatch__Output, _SeniorityResponseBatch>;
  
}

export interface SeniorityModelDefinition extends grpc.ServiceDefinition {
  InferSeniority: MethodDefinition<_SeniorityRequestBatch, _SeniorityResponseBatch, _SeniorityRequestBatch__Output, _SeniorityResponseBatch__Output>
}
