// Redaction as the ingest pipeline uses it: a decoded request in, the same request with the
// rules applied out (re-decoded only when a rule changed something, so the session index and
// the forwarder both see redacted values), and replay segments rewritten before storage.
// The pipeline holds one only when rules are configured: without rules ingest does no
// redaction work at all.

import type { Segment } from '@otel-replay/protocol';
import { decodeLogs } from '../otlp/decode-logs.ts';
import { decodeTraces } from '../otlp/decode-traces.ts';
import type { DecodedLogs, DecodedTraces, OtlpEncoding } from '../otlp/model.ts';
import { redactLogsRequest, redactTracesRequest } from './otlp.ts';
import type { RedactionConfig, RedactionRules } from './rules.ts';
import { compileRedaction } from './rules.ts';
import { redactSegments } from './segments.ts';

export class IngestRedaction {
  readonly rules: RedactionRules;
  constructor(rules: RedactionRules) {
    this.rules = rules;
  }

  logs(logs: DecodedLogs, encoding: OtlpEncoding, raw: Uint8Array): { logs: DecodedLogs; raw: Uint8Array } {
    const redacted = redactLogsRequest(this.rules, raw, encoding);
    return redacted === raw ? { logs, raw } : { logs: decodeLogs(redacted, encoding), raw: redacted };
  }

  traces(traces: DecodedTraces, encoding: OtlpEncoding, body: Uint8Array): { traces: DecodedTraces; body: Uint8Array } {
    const redacted = redactTracesRequest(this.rules, body, encoding);
    return redacted === body ? { traces, body } : { traces: decodeTraces(redacted, encoding), body: redacted };
  }

  async segments(segments: Segment[]): Promise<void> {
    if (this.rules.has('segment.text') && segments.length > 0) await redactSegments(this.rules, segments);
  }
}

/** The pipeline's redaction for a configuration, or undefined when it has no rules. */
export function createIngestRedaction(config: RedactionConfig): IngestRedaction | undefined {
  const rules = compileRedaction(config);
  return rules ? new IngestRedaction(rules) : undefined;
}
