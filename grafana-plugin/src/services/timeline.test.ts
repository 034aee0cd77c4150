import { T0, lokiResponse, tempoResponse } from '../test/fixtures';
import { activeEntryIndex, entriesFromLoki, entriesFromTempo, mergeTimeline } from './timeline';
import type { TimelineEntry } from './timeline';

describe('timeline from Loki', () => {
  const entries = entriesFromLoki(lokiResponse);

  it('classifies events by event_name and skips malformed values', () => {
    expect(entries.map((e) => e.kind)).toEqual(['page_view', 'rage_click', 'error', 'console']);
    expect(entries[0]!.time).toBe(T0 + 2000);
    expect(entries[0]!.title).toBe('Page view https://shop.example.com/cart');
    expect(entries[1]).toMatchObject({ title: 'Rage click ×5 button#pay', level: 'warning' });
    expect(entries[2]).toMatchObject({ title: 'TypeError: x is undefined', level: 'error' });
    expect(entries[3]).toMatchObject({ title: 'console.warn slow response', level: 'warning' });
  });

  it('reads categorized labels (structured metadata in the third value)', () => {
    const e = entriesFromLoki({
      data: {
        result: [
          {
            stream: { service_name: 'x' },
            values: [
              [
                `${T0}000000`,
                'clicked',
                { structuredMetadata: { event_name: 'browser.click', replay_click_selector: '#buy' } },
              ],
            ],
          },
        ],
      },
    });
    expect(e).toHaveLength(1);
    expect(e[0]).toMatchObject({ kind: 'click', title: 'Click #buy' });
  });

  it('gives an empty list for an empty or odd answer', () => {
    expect(entriesFromLoki({})).toEqual([]);
    expect(entriesFromLoki({ data: { result: [{}] } })).toEqual([]);
  });
});

describe('timeline from Tempo', () => {
  it('makes one entry per span with method, URL, status and duration', () => {
    const e = entriesFromTempo(tempoResponse);
    expect(e).toHaveLength(1);
    expect(e[0]).toMatchObject({
      kind: 'span',
      title: 'POST https://api.example.com/pay',
      traceId: 'abc123',
      spanId: 'span01',
      level: 'error',
      durationMs: 250,
      time: T0 + 12500,
    });
    expect(e[0]!.detail).toBe('502 · shop-web');
  });

  it('reads the older spanSet form', () => {
    const e = entriesFromTempo({
      traces: [{ traceID: 't', spanSet: { spans: [{ spanID: 's', name: 'GET', startTimeUnixNano: `${T0}000000` }] } }],
    });
    expect(e.map((x) => x.title)).toEqual(['GET']);
  });
});

describe('merge', () => {
  const mk = (id: string, time: number, kind: TimelineEntry['kind'] = 'log'): TimelineEntry => ({
    id,
    time,
    kind,
    title: id,
    level: 'info',
  });

  it('orders by time, keeps source order on ties and drops duplicate ids', () => {
    const merged = mergeTimeline([mk('a', 3), mk('b', 1), mk('c', 2)], [mk('s1', 2, 'span'), mk('a', 3)]);
    expect(merged.map((e) => e.id)).toEqual(['b', 'c', 's1', 'a']);
  });

  it('merges real Loki and Tempo answers into one time line', () => {
    const merged = mergeTimeline(entriesFromLoki(lokiResponse), entriesFromTempo(tempoResponse));
    expect(merged.map((e) => e.kind)).toEqual(['page_view', 'rage_click', 'span', 'error', 'console']);
  });

  it('finds the entry the player is at', () => {
    const list = [mk('a', 10), mk('b', 20), mk('c', 30)];
    expect(activeEntryIndex(list, 5)).toBe(-1);
    expect(activeEntryIndex(list, 20)).toBe(1);
    expect(activeEntryIndex(list, 99)).toBe(2);
  });
});
