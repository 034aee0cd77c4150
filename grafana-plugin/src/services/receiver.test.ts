import { NdjsonDecoder, StreamFormatError } from './ndjson';
import { createReceiverClient, describeReceiverError } from './receiver';
import type { PlaybackLine } from '../types';

function streamResponse(chunks: string[], status = 200): Response {
  const enc = new TextEncoder();
  let i = 0;
  const body = {
    getReader: () => ({
      read: async () =>
        i < chunks.length ? { done: false, value: enc.encode(chunks[i++]) } : { done: true, value: undefined },
    }),
  };
  return { ok: status < 300, status, body, text: async () => chunks.join('') } as unknown as Response;
}

describe('NDJSON decoding', () => {
  const parsed = (d: NdjsonDecoder, lines: string[]) => lines.map((l) => d.parse(l));

  it('hands out lines as soon as they are complete, across chunk boundaries', () => {
    const d = new NdjsonDecoder();
    expect(parsed(d, d.push('{"type":"sta'))).toEqual([]);
    expect(parsed(d, d.push('rt","windowId":"w"}\n{"type":"gap","fromSeq":1,'))).toEqual([{ type: 'start', windowId: 'w' }]);
    expect(parsed(d, d.push('"toSeq":2}\n\n'))).toEqual([{ type: 'gap', fromSeq: 1, toSeq: 2 }]);
    expect(parsed(d, d.push('{"type":"end","segments":1}'))).toEqual([]);
    expect(parsed(d, d.flush())).toEqual([{ type: 'end', segments: 1 }]);
  });

  it('splits a chunk of many lines in order, keeping the unfinished tail', () => {
    const d = new NdjsonDecoder();
    const many = Array.from({ length: 500 }, (_, i) => `{"type":"gap","fromSeq":${i},"toSeq":${i}}`).join('\n');
    const lines = d.push(`${many}\n{"type":"end"`);
    expect(lines).toHaveLength(500);
    expect(d.parse(lines[499]!)).toEqual({ type: 'gap', fromSeq: 499, toSeq: 499 });
    expect(d.push(',"segments":0}\n')).toEqual(['{"type":"end","segments":0}']);
  });

  it('refuses bad lines with the line number', () => {
    const all = (text: string) => {
      const d = new NdjsonDecoder();
      return parsed(d, d.push(text));
    };
    expect(() => all('{"type":"end"}\nnot json\n')).toThrow(/line 2 is not valid JSON/);
    expect(() => all('{"type":"bogus"}\n')).toThrow(StreamFormatError);
    expect(() => all('{"type":"segment"}\n')).toThrow(/without an events array/);
  });
});

describe('receiver client', () => {
  it('goes through the plugin proxy route and streams lines while they arrive', async () => {
    const urls: string[] = [];
    const lines: PlaybackLine[] = [];
    const fetchFn = jest.fn(async (url: string) => {
      urls.push(url);
      return streamResponse([
        '{"type":"start","sessionId":"s","windowId":"w","at":5,"fromSeq":0,"fromTimestamp":1}\n{"type":"segm',
        'ent","seq":0,"firstTimestamp":1,"lastTimestamp":2,"events":[]}\n',
        '{"type":"end","segments":1}\n',
      ]);
    });
    const client = createReceiverClient({ fetch: fetchFn as unknown as typeof fetch });
    await client.streamEvents('s/1', { at: 5.4, window: 'w' }, (l) => {
      lines.push(l);
    });
    expect(urls).toEqual(['/api/plugin-proxy/otel-replay-app/receiver/api/v1/sessions/s%2F1/events?at=5&window=w']);
    expect(lines.map((l) => l.type)).toEqual(['start', 'segment', 'end']);
  });

  it('turns error answers into messages that say what to do', async () => {
    const fetchFn = jest.fn(
      async () =>
        ({ ok: false, status: 401, text: async () => '{"error":"unknown read token"}' }) as unknown as Response
    );
    const client = createReceiverClient({ fetch: fetchFn as unknown as typeof fetch });
    await expect(client.getSession('abc')).rejects.toThrow(
      /refused the read token while loading session abc \(401: unknown read token\)\. Set a valid read token/
    );
    expect(describeReceiverError(502, 'Bad Gateway', 'sessions')).toMatch(
      /could not reach the receiver.*Check the receiver URL/
    );
    expect(describeReceiverError(404, '{"message":"plugin route match not found"}', 'sessions')).toMatch(
      /no receiver route/
    );
    expect(describeReceiverError(503, '{"error":"store down"}', 'sessions')).toMatch(/Retry in a few seconds/);
  });

  it('says so when the answer is not JSON', async () => {
    const fetchFn = jest.fn(async () => ({ ok: true, status: 200, text: async () => '<html>' }) as unknown as Response);
    await expect(
      createReceiverClient({ fetch: fetchFn as unknown as typeof fetch }).searchSessions(new URLSearchParams())
    ).rejects.toThrow(/not JSON/);
  });
});
