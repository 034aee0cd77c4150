// Decodes an OTLP ExportTraceServiceRequest (JSON or protobuf) into the span view the
// ingest pipeline reads (session activity, trace ids). The request itself is forwarded
// byte for byte by the caller, so nothing here re-encodes; decoding still checks the whole
// request, so undecodable data is refused before it is passed on.

import type { DecodedTraces, OtlpEncoding, ResourceSpansView, ScopeSpansView, SpanView } from './model.ts';
import { parseJsonBody } from './json-body.ts';
import * as J from './json-values.ts';
import * as P from './pb-values.ts';
import type { PbMessage } from './pb-values.ts';
import { ExportTraceServiceRequest } from './schema.ts';

export function decodeTraces(body: Uint8Array, encoding: OtlpEncoding): DecodedTraces {
  return encoding === 'json' ? decodeJson(body) : decodeProtobuf(body);
}

function decodeJson(body: Uint8Array): DecodedTraces {
  const request = J.asObject(parseJsonBody(body, 'traces request body'), '', 'a JSON object (ExportTraceServiceRequest)');
  let spanCount = 0;
  const resources = J.arrayField(request, 'resourceSpans', '', 'resource_spans').map((item, ri): ResourceSpansView => {
    const rPath = `resourceSpans[${ri}]`;
    const rs = J.asObject(item, rPath, 'a ResourceSpans object');
    J.stringField(rs, 'schemaUrl', rPath);
    const resource = J.objectField(rs, 'resource', rPath, 'a Resource object');
    if (resource !== undefined) J.uint32Field(resource, 'droppedAttributesCount', `${rPath}.resource`);
    const scopes = J.arrayField(rs, 'scopeSpans', rPath, 'scope_spans').map((scopeItem, si): ScopeSpansView => {
      const sPath = `${rPath}.scopeSpans[${si}]`;
      const ss = J.asObject(scopeItem, sPath, 'a ScopeSpans object');
      J.stringField(ss, 'schemaUrl', sPath);
      const spans = J.arrayField(ss, 'spans', sPath).map((spanItem, ki) => jsonSpan(spanItem, `${sPath}.spans[${ki}]`));
      spanCount += spans.length;
      return { scope: J.scopeField(ss, sPath), spans };
    });
    return { resource: resource === undefined ? {} : J.attributesField(resource, 'attributes', `${rPath}.resource`), scopes };
  });
  return { resources, spanCount };
}

function jsonSpan(item: unknown, path: string): SpanView {
  const s = J.asObject(item, path, 'a Span object');
  J.stringField(s, 'traceState', path);
  for (const key of ['flags', 'droppedAttributesCount', 'droppedEventsCount', 'droppedLinksCount']) J.uint32Field(s, key, path);
  J.arrayField(s, 'events', path).forEach((eventItem, i) => {
    const ePath = `${path}.events[${i}]`;
    const event = J.asObject(eventItem, ePath, 'a Span.Event object');
    J.uint64Field(event, 'timeUnixNano', ePath);
    J.stringField(event, 'name', ePath);
    J.attributesField(event, 'attributes', ePath);
  });
  J.arrayField(s, 'links', path).forEach((linkItem, i) => {
    const lPath = `${path}.links[${i}]`;
    const link = J.asObject(linkItem, lPath, 'a Span.Link object');
    J.idField(link, 'traceId', lPath, 16);
    J.idField(link, 'spanId', lPath, 8);
    J.stringField(link, 'traceState', lPath);
    J.uint32Field(link, 'flags', lPath);
    J.attributesField(link, 'attributes', lPath);
  });
  const status = J.objectField(s, 'status', path, 'a Status object');
  return {
    traceId: J.idField(s, 'traceId', path, 16),
    spanId: J.idField(s, 'spanId', path, 8),
    parentSpanId: J.idField(s, 'parentSpanId', path, 8),
    name: J.stringField(s, 'name', path),
    kind: J.int32Field(s, 'kind', path),
    startTimeUnixNano: J.uint64Field(s, 'startTimeUnixNano', path),
    endTimeUnixNano: J.uint64Field(s, 'endTimeUnixNano', path),
    attributes: J.attributesField(s, 'attributes', path),
    statusCode: status === undefined ? 0 : J.int32Field(status, 'code', `${path}.status`),
    statusMessage: status === undefined ? '' : J.stringField(status, 'message', `${path}.status`),
  };
}

function decodeProtobuf(body: Uint8Array): DecodedTraces {
  const request = P.decodeWith(ExportTraceServiceRequest, body);
  let spanCount = 0;
  const resources = P.list(request, 'resourceSpans').map((rs, ri): ResourceSpansView => {
    const rPath = `resourceSpans[${ri}]`;
    const scopes = P.list(rs, 'scopeSpans').map((ss, si): ScopeSpansView => {
      const sPath = `${rPath}.scopeSpans[${si}]`;
      const spans = P.list(ss, 'spans').map((span, ki) => pbSpan(span, `${sPath}.spans[${ki}]`));
      spanCount += spans.length;
      return { scope: P.scope(P.message(ss, 'scope'), `${sPath}.scope`), spans };
    });
    return { resource: P.attributes(P.message(rs, 'resource'), 'attributes', `${rPath}.resource`), scopes };
  });
  return { resources, spanCount };
}

function pbSpan(s: PbMessage, path: string): SpanView {
  P.list(s, 'events').forEach((event, i) => P.attributes(event, 'attributes', `${path}.events[${i}]`));
  P.list(s, 'links').forEach((link, i) => {
    const lPath = `${path}.links[${i}]`;
    P.id(link, 'traceId', lPath, 16);
    P.id(link, 'spanId', lPath, 8);
    P.attributes(link, 'attributes', lPath);
  });
  const status = P.message(s, 'status');
  return {
    traceId: P.id(s, 'traceId', path, 16),
    spanId: P.id(s, 'spanId', path, 8),
    parentSpanId: P.id(s, 'parentSpanId', path, 8),
    name: P.str(s, 'name'),
    kind: P.num(s, 'kind'),
    startTimeUnixNano: P.toBigInt(s['startTimeUnixNano'], false),
    endTimeUnixNano: P.toBigInt(s['endTimeUnixNano'], false),
    attributes: P.attributes(s, 'attributes', path),
    statusCode: status === undefined ? 0 : P.num(status, 'code'),
    statusMessage: status === undefined ? '' : P.str(status, 'message'),
  };
}
