import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { encodeExportResponse, encodeStatus, MAX_MESSAGE_BYTES, trimUtf8 } from './respond.ts';
import { ExportLogsServiceResponse, ExportTraceServiceResponse, RpcStatus } from './schema.ts';

const toObject = (type: typeof RpcStatus, bytes: Uint8Array) => type.toObject(type.decode(bytes), { longs: Number, defaults: false });

describe('encodeExportResponse', () => {
  it('answers full success with {} in JSON and zero bytes in protobuf', () => {
    assert.deepEqual(encodeExportResponse('logs', 'json'), { contentType: 'application/json', body: Buffer.from('{}') });
    assert.deepEqual(encodeExportResponse('traces', 'protobuf'), { contentType: 'application/x-protobuf', body: Buffer.alloc(0) });
  });

  it('encodes partial success for logs, readable by the schema and the OTel JS exporter', () => {
    const proto = encodeExportResponse('logs', 'protobuf', { rejected: 3, errorMessage: 'segment 2 of session abc: body is not gzip' });
    assert.equal(proto.contentType, 'application/x-protobuf');
    assert.deepEqual(toObject(ExportLogsServiceResponse, proto.body), { partialSuccess: { rejectedLogRecords: 3, errorMessage: 'segment 2 of session abc: body is not gzip' } });
    const seenByExporter = ProtobufLogsSerializer.deserializeResponse(proto.body);
    assert.equal(Number(seenByExporter.partialSuccess?.rejectedLogRecords), 3);
    assert.equal(seenByExporter.partialSuccess?.errorMessage, 'segment 2 of session abc: body is not gzip');

    const json = encodeExportResponse('logs', 'json', { rejected: 3, errorMessage: 'bad' });
    assert.equal(json.contentType, 'application/json');
    assert.deepEqual(JSON.parse(json.body.toString()), { partialSuccess: { rejectedLogRecords: '3', errorMessage: 'bad' } });
    assert.equal(Number(JsonLogsSerializer.deserializeResponse(json.body).partialSuccess?.rejectedLogRecords), 3);
  });

  it('encodes partial success for traces with rejected_spans', () => {
    const proto = encodeExportResponse('traces', 'protobuf', { rejected: 2, errorMessage: 'x' });
    assert.deepEqual(toObject(ExportTraceServiceResponse, proto.body), { partialSuccess: { rejectedSpans: 2, errorMessage: 'x' } });
    assert.equal(Number(ProtobufTraceSerializer.deserializeResponse(proto.body).partialSuccess?.rejectedSpans), 2);
    const json = encodeExportResponse('traces', 'json', { rejected: 2, errorMessage: 'x' });
    assert.equal(Number(JsonTraceSerializer.deserializeResponse(json.body).partialSuccess?.rejectedSpans), 2);
  });

  it('encodes a warning (nothing rejected, a message) without a rejected count', () => {
    const json = encodeExportResponse('logs', 'json', { rejected: 0, errorMessage: 'slow down' });
    assert.deepEqual(JSON.parse(json.body.toString()), { partialSuccess: { errorMessage: 'slow down' } });
    const proto = encodeExportResponse('logs', 'protobuf', { rejected: 0, errorMessage: 'slow down' });
    assert.deepEqual(toObject(ExportLogsServiceResponse, proto.body), { partialSuccess: { errorMessage: 'slow down' } });
  });

  it('trims a huge error message so the body stays far below 4 MiB', () => {
    const huge = 'é'.repeat(3 * 1024 * 1024);
    for (const encoding of ['json', 'protobuf'] as const) {
      const { body } = encodeExportResponse('logs', encoding, { rejected: 1, errorMessage: huge });
      assert.ok(body.length < MAX_MESSAGE_BYTES + 100, `${encoding} body is ${body.length} bytes`);
    }
    const proto = encodeExportResponse('logs', 'protobuf', { rejected: 1, errorMessage: huge });
    const message = (toObject(ExportLogsServiceResponse, proto.body) as { partialSuccess: { errorMessage: string } }).partialSuccess.errorMessage;
    assert.match(message, /^é+… \(truncated\)$/);
  });
});

describe('encodeStatus', () => {
  it('encodes google.rpc.Status in both encodings', () => {
    const json = encodeStatus('json', 3, 'resourceLogs is not an array');
    assert.equal(json.contentType, 'application/json');
    assert.deepEqual(JSON.parse(json.body.toString()), { code: 3, message: 'resourceLogs is not an array' });
    const proto = encodeStatus('protobuf', 8, 'slow down');
    assert.equal(proto.contentType, 'application/x-protobuf');
    assert.deepEqual(toObject(RpcStatus, proto.body), { code: 8, message: 'slow down' });
  });

  it('trims long messages', () => {
    const { body } = encodeStatus('protobuf', 3, 'x'.repeat(10 * 1024 * 1024));
    assert.ok(body.length <= MAX_MESSAGE_BYTES + 16);
  });
});

describe('trimUtf8', () => {
  it('keeps short text and cuts long text on a character boundary', () => {
    assert.equal(trimUtf8('short', 10), 'short');
    const cut = trimUtf8('😀'.repeat(100), 40);
    assert.ok(Buffer.byteLength(cut) <= 40);
    assert.match(cut, /^(😀)+… \(truncated\)$/u);
    assert.ok(!cut.includes('\uFFFD'));
  });
});
