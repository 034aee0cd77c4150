// Route and proxy constants shared by the pages, the extension links and the panel: one
// place says where the app lives and how it reaches the receiver.
import pluginJson from './plugin.json';

export const PLUGIN_ID = pluginJson.id;
export const PLUGIN_BASE_URL = `/a/${PLUGIN_ID}`;

/** Grafana's plugin proxy forwards `receiver/*` to jsonData.receiverUrl with the bearer token (plugin.json routes). */
export const RECEIVER_PROXY_BASE = `/api/plugin-proxy/${PLUGIN_ID}/receiver`;
/** The query API's prefix on the receiver. */
export const QUERY_API_PREFIX = '/api/v1';

export const ROUTES = {
  Sessions: 'sessions',
  Session: 'session',
} as const;

/** `/a/otel-replay-app/session/<id>?t=<ms>`: the form the SDK's getSessionUrl builds; keep it stable. */
export function sessionPath(sessionId: string, atMs?: number): string {
  const base = `${PLUGIN_BASE_URL}/${ROUTES.Session}/${encodeURIComponent(sessionId)}`;
  return atMs !== undefined && Number.isFinite(atMs) ? `${base}?t=${Math.round(atMs)}` : base;
}

export function sessionsPath(search = ''): string {
  return `${PLUGIN_BASE_URL}/${ROUTES.Sessions}${search ? `?${search.replace(/^\?/, '')}` : ''}`;
}
