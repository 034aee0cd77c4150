// Decodes an OTLP ExportLogsServiceRequest (JSON or protobuf) into the view the ingest
// pipeline reads, and re-encodes any subset of its records in the same encoding without
// losing what the client sent: JSON by filtering the parsed tree, protobuf by copying
// the kept records' bytes.

import type { DecodedLogs, LogRecordView, OtlpEncoding, RecordPath, ResourceLogsView, ScopeLogsView } from './model.ts';
import { parseJsonBody } from './json-body.ts';
import * as J from './json-values.ts';
import type { JsonObject } from './json-values.ts';
import * as P from './pb-values.ts';
import type { PbMessage } from './pb-values.ts';
import { ExportLogsServiceRequest, fieldNumber, ResourceLogs, ScopeLogs } from './schema.ts';
import { Assembly, fieldsOf, LENGTH_DELIMITED } from './wire.ts';

export function decodeLogs(body: Uint8Array, encoding: OtlpEncoding): DecodedLogs {
  return encoding === 'json' ? decodeJson(body) : decodeProtobuf(body);
}

// ---- JSON ----

function decodeJson(body: Uint8Array): DecodedLogs {
  const request = J.asObject(parseJsonBody(body, 'logs request body'), '', 'a JSON object (ExportLogsServiceRequest)');
  const resourceLogs = J.arrayField(request, 'resourceLogs', '', 'resource_logs');
  let recordCount = 0;
  const resources = resourceLogs.map((item, ri): ResourceLogsView => {
    const rPath = `resourceLogs[${ri}]`;
    const rl = J.asObject(item, rPath, 'a ResourceLogs object');
    J.stringField(rl, 'schemaUrl', rPath);
    const resource = J.objectField(rl, 'resource', rPath, 'a Resource object');
    if (resource !== undefined) J.uint32Field(resource, 'droppedAttributesCount', `${rPath}.resource`);
    const scopes = J.arrayField(rl, 'scopeLogs', rPath, 'scope_logs').map((scopeItem, si): ScopeLogsView => {
      const sPath = `${rPath}.scopeLogs[${si}]`;
      const sl = J.asObject(scopeItem, sPath, 'a ScopeLogs object');
      J.stringField(sl, 'schemaUrl', sPath);
      const records = J.arrayField(sl, 'logRecords', sPath, 'log_records').map((recordItem, ki) => jsonRecord(recordItem, `${sPath}.logRecords[${ki}]`));
      recordCount += records.length;
      return { scope: J.scopeField(sl, sPath), records };
    });
    return { resource: resource === undefined ? {} : J.attributesField(resource, 'attributes', `${rPath}.resource`), scopes };
  });
  return { resources, recordCount, subset: (keep) => subsetJson(request, keep) };
}

// An empty body AnyValue and an absent body mean the same (JSON exporters write `{}`,
// protobuf ones omit the field), so both are undefined.
function jsonRecord(item: unknown, path: string): LogRecordView {
  const r = J.asObject(item, path, 'a LogRecord object');
  J.uint32Field(r, 'droppedAttributesCount', path);
  J.uint32Field(r, 'flags', path);
  return {
    timeUnixNano: J.uint64Field(r, 'timeUnixNano', path),
    observedTimeUnixNano: J.uint64Field(r, 'observedTimeUnixNano', path),
    severityNumber: J.int32Field(r, 'severityNumber', path),
    severityText: J.stringField(r, 'severityText', path),
    eventName: J.stringField(r, 'eventName', path),
    body: J.anyValue(r['body'], `${path}.body`, 1) ?? undefined,
    attributes: J.attributesField(r, 'attributes', path),
    traceId: J.idField(r, 'traceId', path, 16),
    spanId: J.idField(r, 'spanId', path, 8),
  };
}

// Shallow copies down the kept branches; every other key (unknown ones included) and every
// kept record object is the one parsed, so it serializes as it arrived.
function subsetJson(request: JsonObject, keep: (path: RecordPath) => boolean): Uint8Array | null {
  const resourceLogs: JsonObject[] = [];
  J.arrayField(request, 'resourceLogs', '').forEach((rlItem, ri) => {
    const rl = rlItem as JsonObject;
    const scopeLogs: JsonObject[] = [];
    J.arrayField(rl, 'scopeLogs', '').forEach((slItem, si) => {
      const sl = slItem as JsonObject;
      const logRecords = J.arrayField(sl, 'logRecords', '').filter((_record, ki) => keep([ri, si, ki]));
      if (logRecords.length > 0) scopeLogs.push({ ...sl, logRecords });
    });
    if (scopeLogs.length > 0) resourceLogs.push({ ...rl, scopeLogs });
  });
  if (resourceLogs.length === 0) return null;
  return Buffer.from(JSON.stringify({ ...request, resourceLogs }), 'utf8');
}

// ---- protobuf ----

const F = {
  resourceLogs: fieldNumber(ExportLogsServiceRequest, 'resourceLogs'),
  scopeLogs: fieldNumber(ResourceLogs, 'scopeLogs'),
  logRecords: fieldNumber(ScopeLogs, 'logRecords'),
};

function decodeProtobuf(body: Uint8Array): DecodedLogs {
  const request = P.decodeWith(ExportLogsServiceRequest, body);
  let recordCount = 0;
  const resources = P.list(request, 'resourceLogs').map((rl, ri): ResourceLogsView => {
    const rPath = `resourceLogs[${ri}]`;
    const scopes = P.list(rl, 'scopeLogs').map((sl, si): ScopeLogsView => {
      const sPath = `${rPath}.scopeLogs[${si}]`;
      const records = P.list(sl, 'logRecords').map((r, ki) => pbRecord(r, `${sPath}.logRecords[${ki}]`));
      recordCount += records.length;
      return { scope: P.scope(P.message(sl, 'scope'), `${sPath}.scope`), records };
    });
    return { resource: P.attributes(P.message(rl, 'resource'), 'attributes', `${rPath}.resource`), scopes };
  });
  return { resources, recordCount, subset: (keep) => subsetProtobuf(body, keep) };
}

function pbRecord(r: PbMessage, path: string): LogRecordView {
  return {
    timeUnixNano: P.toBigInt(r['timeUnixNano'], false),
    observedTimeUnixNano: P.toBigInt(r['observedTimeUnixNano'], false),
    severityNumber: P.num(r, 'severityNumber'),
    severityText: P.str(r, 'severityText'),
    eventName: P.str(r, 'eventName'),
    body: P.anyValue(P.message(r, 'body'), `${path}.body`, 1) ?? undefined,
    attributes: P.attributes(r, 'attributes', path),
    traceId: P.id(r, 'traceId', path, 16),
    spanId: P.id(r, 'spanId', path, 8),
  };
}

// Indices count the same occurrences protobufjs decoded into lists: a field number with
// the length-delimited wire type; the same number with another wire type was skipped by
// the decoder as unknown and is copied here as unknown.
function subsetProtobuf(body: Uint8Array, keep: (path: RecordPath) => boolean): Uint8Array | null {
  const out = new Assembly();
  let kept = 0;
  let ri = 0;
  for (const rlField of fieldsOf(body, 0, body.length)) {
    if (rlField.field !== F.resourceLogs || rlField.wireType !== LENGTH_DELIMITED) {
      out.append(body.subarray(rlField.start, rlField.end));
      continue;
    }
    const resource = new Assembly();
    let resourceKept = 0;
    let si = 0;
    for (const slField of fieldsOf(body, rlField.dataStart, rlField.end)) {
      if (slField.field !== F.scopeLogs || slField.wireType !== LENGTH_DELIMITED) {
        resource.append(body.subarray(slField.start, slField.end));
        continue;
      }
      const scope = new Assembly();
      let scopeKept = 0;
      let ki = 0;
      for (const rField of fieldsOf(body, slField.dataStart, slField.end)) {
        const isRecord = rField.field === F.logRecords && rField.wireType === LENGTH_DELIMITED;
        if (isRecord && !keep([ri, si, ki])) {
          ki++;
          continue;
        }
        if (isRecord) {
          ki++;
          scopeKept++;
        }
        scope.append(body.subarray(rField.start, rField.end));
      }
      si++;
      if (scopeKept === 0) continue;
      resource.appendMessage(F.scopeLogs, scope);
      resourceKept += scopeKept;
    }
    ri++;
    if (resourceKept === 0) continue;
    out.appendMessage(F.resourceLogs, resource);
    kept += resourceKept;
  }
  if (kept === 0) return null;
  return out.bytes();
}
