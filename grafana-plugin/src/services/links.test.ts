import { T0 } from '../test/fixtures';
import { traceExploreUrl, logsExploreUrl } from './explore';
import { linkFromLogAttributes, linkFromTraceAttributes, linkFromTraceHeader } from './links';
import { toEpochMs } from './time';

describe('extension links into the Session page', () => {
  it('uses the span attribute session.id and the span start from the trace view', () => {
    expect(linkFromTraceAttributes({ spanAttributes: { 'session.id': ['s 1'] }, spanStartTime: T0 * 1000 })).toEqual({
      path: `/a/otel-replay-app/session/s%201?t=${T0}`,
    });
    expect(linkFromTraceAttributes({ attributes: { 'session.id': ['r'] } })).toEqual({
      path: '/a/otel-replay-app/session/r',
    });
    expect(linkFromTraceAttributes({ attributes: { 'service.name': ['x'] } })).toBeUndefined();
    expect(linkFromTraceAttributes(undefined)).toBeUndefined();
  });

  it('finds session.id among the spans of a trace (µs start times)', () => {
    const ctx = {
      spans: [
        { startTime: 1, tags: [{ key: 'http.method', value: 'GET' }] },
        { startTime: (T0 + 5) * 1000, tags: [{ key: 'session.id', value: 'abc' }] },
      ],
    };
    expect(linkFromTraceHeader(ctx)).toEqual({ path: `/a/otel-replay-app/session/abc?t=${T0 + 5}` });
    expect(linkFromTraceHeader({ spans: [{ tags: [] }] })).toBeUndefined();
  });

  it('uses session_id from Loki log details', () => {
    expect(linkFromLogAttributes({ attributes: { session_id: ['abc'] }, timeRange: { from: T0, to: T0 + 1 } })).toEqual(
      { path: `/a/otel-replay-app/session/abc?t=${T0}` }
    );
    expect(linkFromLogAttributes({ attributes: { session_id: ['  '] } })).toBeUndefined();
  });

  it('tells time units apart', () => {
    expect(toEpochMs(T0 / 1000)).toBe(T0);
    expect(toEpochMs(T0)).toBe(T0);
    expect(toEpochMs(T0 * 1000)).toBe(T0);
    expect(toEpochMs(T0 * 1e6)).toBe(T0);
    expect(toEpochMs(-1)).toBeUndefined();
  });
});

describe('Explore URLs', () => {
  it('opens a trace by id in the Tempo data source around the span', () => {
    const url = traceExploreUrl({ tempoUid: 'tempo-uid', traceId: 'abc123', fromMs: T0, toMs: T0 + 250, orgId: 2 });
    const p = new URLSearchParams(url.split('?')[1]);
    expect(url.startsWith('/explore?')).toBe(true);
    expect(p.get('orgId')).toBe('2');
    expect(JSON.parse(p.get('panes')!)).toEqual({
      replay: {
        datasource: 'tempo-uid',
        queries: [
          { refId: 'A', datasource: { type: 'tempo', uid: 'tempo-uid' }, queryType: 'traceql', query: 'abc123' },
        ],
        range: { from: String(T0 - 60_000), to: String(T0 + 250 + 60_000) },
      },
    });
  });

  it('opens the session LogQL in Loki', () => {
    const p = new URLSearchParams(
      logsExploreUrl({ lokiUid: 'loki', sessionId: 's', service: 'web', fromMs: 0, toMs: 1 }).split('?')[1]
    );
    expect(JSON.parse(p.get('panes')!).replay.queries[0].expr).toBe('{service_name="web"} | session_id="s"');
  });
});
