import { lokiName, quoteString, sessionLogsQuery, sessionSpansQuery } from './queries';

describe('LogQL and TraceQL for one session', () => {
  it('filters Loki on structured metadata session_id within the session service', () => {
    expect(sessionLogsQuery({ sessionId: 'abc-123', service: 'shop-web' })).toBe(
      '{service_name="shop-web"} | session_id="abc-123"'
    );
  });

  it('scans every service when the session has none', () => {
    expect(sessionLogsQuery({ sessionId: 'abc', service: null })).toBe('{service_name=~".+"} | session_id="abc"');
  });

  it('escapes quotes, backslashes and newlines so a hostile id cannot change the query', () => {
    const q = sessionLogsQuery({ sessionId: 'x" } |= "y\\\n', service: 'a"b' });
    expect(q).toBe('{service_name="a\\"b"} | session_id="x\\" } |= \\"y\\\\\\n"');
    expect(quoteString('tab\there')).toBe('"tab\\there"');
  });

  it('queries Tempo on span.session.id and selects the HTTP attributes', () => {
    const q = sessionSpansQuery('abc"1');
    expect(q.startsWith('{ span.session.id = "abc\\"1" } | select(')).toBe(true);
    expect(q).toContain('span.url.full');
    expect(q).toContain('span.http.response.status_code');
  });

  it('names attributes the way Loki stores them', () => {
    expect(lokiName('session.id')).toBe('session_id');
    expect(lokiName('replay.click.selector')).toBe('replay_click_selector');
  });
});
