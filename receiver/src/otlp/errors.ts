// The one error type of the OTLP codec layer. It carries the HTTP status the edge should
// answer with, so routes map it without knowing which check failed.

/** 400 = the request cannot be decoded, 413 = too large, 415 = unsupported type or encoding. */
export type OtlpErrorStatus = 400 | 413 | 415;

export class OtlpError extends Error {
  override readonly name = 'OtlpError';
  readonly status: OtlpErrorStatus;

  constructor(status: OtlpErrorStatus, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
  }
}

/** A 400 for data that is not what it claims to be. */
export function malformed(message: string, cause?: unknown): OtlpError {
  return new OtlpError(400, message, cause === undefined ? undefined : { cause });
}
