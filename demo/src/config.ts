// The demo's settings, from environment variables with defaults that match `npm start`
// (receiver on 127.0.0.1:4318, demo on 127.0.0.1:8080). Checked at start, so a typo
// fails with the variable's name instead of a page that silently records nothing.

export interface DemoConfig {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Where the browser SDK sends replay segments, events and spans: the receiver or a Collector, as the browser reaches it. */
  browserEndpoint: string;
  /** Where the backend sends its own spans (OTLP/HTTP JSON), as the server reaches it. */
  tracesUrl: string;
  /** Sent by the SDK and the backend exporter as `Authorization: Bearer <key>` when the receiver requires keys. */
  writeKey: string | null;
  /** Base URL of Grafana with the otel-replay app: the demo footer then links to this session in Grafana. */
  grafanaUrl: string | null;
  /** `service.name` of the browser app and of the backend. */
  serviceName: string;
  backendServiceName: string;
}

export class DemoConfigError extends Error {
  override readonly name = 'DemoConfigError';
}

/** Environment variables the demo reads, and what each sets. */
export const DEMO_ENV = {
  DEMO_HOST: 'listen address (default 127.0.0.1; 0.0.0.0 in a container)',
  DEMO_PORT: 'listen port (default 8080)',
  DEMO_RECEIVER_URL: 'receiver (or Collector) base URL as the browser reaches it (default http://127.0.0.1:4318)',
  DEMO_TRACES_URL: 'OTLP/HTTP traces URL for the backend spans (default <DEMO_RECEIVER_URL>/v1/traces)',
  DEMO_WRITE_KEY: 'write key, when the receiver requires one',
  DEMO_GRAFANA_URL: 'Grafana base URL, for a "watch in Grafana" link on the page',
} as const;

function httpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new DemoConfigError(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new DemoConfigError(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  return value.replace(/\/+$/, '');
}

export function loadDemoConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<DemoConfig> = {}): DemoConfig {
  const portText = env.DEMO_PORT ?? '8080';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new DemoConfigError(`DEMO_PORT must be a port number 0..65535, got ${JSON.stringify(portText)}`);
  const browserEndpoint = httpUrl('DEMO_RECEIVER_URL', env.DEMO_RECEIVER_URL || 'http://127.0.0.1:4318');
  const config: DemoConfig = {
    host: env.DEMO_HOST || '127.0.0.1',
    port,
    browserEndpoint,
    tracesUrl: env.DEMO_TRACES_URL ? httpUrl('DEMO_TRACES_URL', env.DEMO_TRACES_URL) : `${browserEndpoint}/v1/traces`,
    writeKey: env.DEMO_WRITE_KEY || null,
    grafanaUrl: env.DEMO_GRAFANA_URL ? httpUrl('DEMO_GRAFANA_URL', env.DEMO_GRAFANA_URL) : null,
    serviceName: 'otel-replay-demo',
    backendServiceName: 'otel-replay-demo-api',
    ...overrides,
  };
  return config;
}
