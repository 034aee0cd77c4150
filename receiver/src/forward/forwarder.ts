// Passing non-replay telemetry on: logs to Loki's OTLP endpoint, traces to Tempo's (or
// both to one OTLP upstream such as a Collector). Accepted payloads go to a bounded
// on-disk queue first, so an outage downstream loses nothing that was acknowledged.

export type Signal = 'logs' | 'traces';

export interface ForwardPayload {
  signal: Signal;
  tenant: string;
  /** Exactly the header value to send, without parameters: application/json or application/x-protobuf. */
  contentType: 'application/json' | 'application/x-protobuf';
  /** Uncompressed OTLP request bytes; the forwarder may gzip them on the wire. */
  body: Uint8Array;
}

export interface Forwarder {
  /** False when no target is configured for the signal (the payload would be dropped). */
  enabled(signal: Signal): boolean;
  /**
   * Durably queues a payload (on disk, fsynced) and resolves; delivery happens in the
   * background with retries. Rejects with QueueFullError when the queue is at its cap.
   */
  enqueue(payload: ForwardPayload): Promise<void>;
  /** Queue depth for /metrics and tests. */
  stats(): { queuedPayloads: number; queuedBytes: number; delivered: number; failedAttempts: number; dropped: number };
  /** Waits until the queue is empty or the timeout passes (tests, graceful shutdown). */
  drain(timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/** The on-disk queue is full: callers answer 503 + Retry-After. */
export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
}

/** One payload is larger than the whole queue: retrying cannot help, callers answer 413. */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
  readonly statusCode = 413;
}
