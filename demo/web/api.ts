// A small JSON client for the demo backend's /api. The SDK traces each fetch (a span with
// session.id and a `traceparent` header, so the backend's span joins the same trace).

export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`/api${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) {
    const message = (data as { error?: string } | undefined)?.error ?? `HTTP ${response.status}`;
    throw new ApiError(response.status, `${method} /api${path} failed with ${response.status}: ${message}`);
  }
  return data as T;
}
