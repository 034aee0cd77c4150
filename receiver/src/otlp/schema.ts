// The OTLP protobuf messages the receiver reads and writes, as a protobufjs reflection
// Root. Field numbers follow opentelemetry-proto v1.x (common, resource, logs, trace and
// the collector services) plus google.rpc.Status; field names are the lowerCamelCase JSON
// names so decoded protobuf and parsed JSON share one vocabulary (and one error path).
// Messages and fields the receiver never looks at (Span.Event details, entity refs) are
// still declared where they carry data, and anything else arrives as an unknown field.

import protobuf from 'protobufjs';

type Fields = Record<string, { type: string; id: number; rule?: 'repeated' }>;
const msg = (fields: Fields, extra: Record<string, unknown> = {}) => ({ fields, ...extra });
const repeated = (type: string, id: number) => ({ type, id, rule: 'repeated' as const });

const common = {
  AnyValue: msg(
    {
      stringValue: { type: 'string', id: 1 },
      boolValue: { type: 'bool', id: 2 },
      intValue: { type: 'int64', id: 3 },
      doubleValue: { type: 'double', id: 4 },
      arrayValue: { type: 'ArrayValue', id: 5 },
      kvlistValue: { type: 'KeyValueList', id: 6 },
      bytesValue: { type: 'bytes', id: 7 },
    },
    { oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } } },
  ),
  ArrayValue: msg({ values: repeated('AnyValue', 1) }),
  KeyValueList: msg({ values: repeated('KeyValue', 1) }),
  KeyValue: msg({ key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } }),
  InstrumentationScope: msg({
    name: { type: 'string', id: 1 },
    version: { type: 'string', id: 2 },
    attributes: repeated('KeyValue', 3),
    droppedAttributesCount: { type: 'uint32', id: 4 },
  }),
};

const C = 'opentelemetry.proto.common.v1.';
const R = 'opentelemetry.proto.resource.v1.';

const resource = {
  // entity_refs (3) is left out: the receiver does not read it, and as an unknown field it
  // still travels untouched wherever bytes are copied.
  Resource: msg({ attributes: repeated(`${C}KeyValue`, 1), droppedAttributesCount: { type: 'uint32', id: 2 } }),
};

const logs = {
  ResourceLogs: msg({ resource: { type: `${R}Resource`, id: 1 }, scopeLogs: repeated('ScopeLogs', 2), schemaUrl: { type: 'string', id: 3 } }),
  ScopeLogs: msg({ scope: { type: `${C}InstrumentationScope`, id: 1 }, logRecords: repeated('LogRecord', 2), schemaUrl: { type: 'string', id: 3 } }),
  LogRecord: msg({
    timeUnixNano: { type: 'fixed64', id: 1 },
    observedTimeUnixNano: { type: 'fixed64', id: 11 },
    severityNumber: { type: 'int32', id: 2 },
    severityText: { type: 'string', id: 3 },
    body: { type: `${C}AnyValue`, id: 5 },
    attributes: repeated(`${C}KeyValue`, 6),
    droppedAttributesCount: { type: 'uint32', id: 7 },
    flags: { type: 'fixed32', id: 8 },
    traceId: { type: 'bytes', id: 9 },
    spanId: { type: 'bytes', id: 10 },
    eventName: { type: 'string', id: 12 },
  }),
};

const trace = {
  ResourceSpans: msg({ resource: { type: `${R}Resource`, id: 1 }, scopeSpans: repeated('ScopeSpans', 2), schemaUrl: { type: 'string', id: 3 } }),
  ScopeSpans: msg({ scope: { type: `${C}InstrumentationScope`, id: 1 }, spans: repeated('Span', 2), schemaUrl: { type: 'string', id: 3 } }),
  Span: msg({
    traceId: { type: 'bytes', id: 1 },
    spanId: { type: 'bytes', id: 2 },
    traceState: { type: 'string', id: 3 },
    parentSpanId: { type: 'bytes', id: 4 },
    flags: { type: 'fixed32', id: 16 },
    name: { type: 'string', id: 5 },
    kind: { type: 'int32', id: 6 },
    startTimeUnixNano: { type: 'fixed64', id: 7 },
    endTimeUnixNano: { type: 'fixed64', id: 8 },
    attributes: repeated(`${C}KeyValue`, 9),
    droppedAttributesCount: { type: 'uint32', id: 10 },
    events: repeated('SpanEvent', 11),
    droppedEventsCount: { type: 'uint32', id: 12 },
    links: repeated('SpanLink', 13),
    droppedLinksCount: { type: 'uint32', id: 14 },
    status: { type: 'Status', id: 15 },
  }),
  // Span.Event and Span.Link in the .proto; nesting them would not change the wire format.
  SpanEvent: msg({
    timeUnixNano: { type: 'fixed64', id: 1 },
    name: { type: 'string', id: 2 },
    attributes: repeated(`${C}KeyValue`, 3),
    droppedAttributesCount: { type: 'uint32', id: 4 },
  }),
  SpanLink: msg({
    traceId: { type: 'bytes', id: 1 },
    spanId: { type: 'bytes', id: 2 },
    traceState: { type: 'string', id: 3 },
    attributes: repeated(`${C}KeyValue`, 4),
    droppedAttributesCount: { type: 'uint32', id: 5 },
    flags: { type: 'fixed32', id: 6 },
  }),
  Status: msg({ message: { type: 'string', id: 2 }, code: { type: 'int32', id: 3 } }),
};

const collectorLogs = {
  ExportLogsServiceRequest: msg({ resourceLogs: repeated('opentelemetry.proto.logs.v1.ResourceLogs', 1) }),
  ExportLogsServiceResponse: msg({ partialSuccess: { type: 'ExportLogsPartialSuccess', id: 1 } }),
  ExportLogsPartialSuccess: msg({ rejectedLogRecords: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } }),
};

const collectorTrace = {
  ExportTraceServiceRequest: msg({ resourceSpans: repeated('opentelemetry.proto.trace.v1.ResourceSpans', 1) }),
  ExportTraceServiceResponse: msg({ partialSuccess: { type: 'ExportTracePartialSuccess', id: 1 } }),
  ExportTracePartialSuccess: msg({ rejectedSpans: { type: 'int64', id: 1 }, errorMessage: { type: 'string', id: 2 } }),
};

const googleProtobuf = {
  Any: msg({ typeUrl: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } }),
};
const googleRpc = {
  Status: msg({ code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 }, details: repeated('google.protobuf.Any', 3) }),
};

export const otlpRoot: protobuf.Root = protobuf.Root.fromJSON({
  nested: {
    opentelemetry: {
      nested: {
        proto: {
          nested: {
            common: { nested: { v1: { nested: common } } },
            resource: { nested: { v1: { nested: resource } } },
            logs: { nested: { v1: { nested: logs } } },
            trace: { nested: { v1: { nested: trace } } },
            collector: {
              nested: {
                logs: { nested: { v1: { nested: collectorLogs } } },
                trace: { nested: { v1: { nested: collectorTrace } } },
              },
            },
          },
        },
      },
    },
    google: { nested: { protobuf: { nested: googleProtobuf }, rpc: { nested: googleRpc } } },
  },
});
otlpRoot.resolveAll();

const type = (name: string): protobuf.Type => otlpRoot.lookupType(name);

export const ExportLogsServiceRequest = type('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest');
export const ExportLogsServiceResponse = type('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse');
export const ExportTraceServiceRequest = type('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
export const ExportTraceServiceResponse = type('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
export const RpcStatus = type('google.rpc.Status');
export const ResourceLogs = type('opentelemetry.proto.logs.v1.ResourceLogs');
export const ScopeLogs = type('opentelemetry.proto.logs.v1.ScopeLogs');
export const LogRecord = type('opentelemetry.proto.logs.v1.LogRecord');

/** The field number of `field` in `message`, so byte-level code keys off the schema. */
export function fieldNumber(message: protobuf.Type, field: string): number {
  const found = message.fields[field];
  if (found === undefined) throw new Error(`schema: ${message.fullName} has no field ${field}`);
  return found.id;
}
