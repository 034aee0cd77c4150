import { T0, fakeClient } from '../test/fixtures';
import { PlaybackLoader } from './playback';
import type { PlaybackHandlers, RecordingProblem } from './playback';
import type { RrwebEvent } from '../types';

function recorder() {
  const log: string[] = [];
  const starts: RrwebEvent[][] = [];
  const problems: RecordingProblem[] = [];
  const errors: Error[] = [];
  const handlers: PlaybackHandlers = {
    onStart: (events) => {
      starts.push(events);
      log.push(`start ${events.length}`);
    },
    onEvents: (events) => log.push(`events ${events.length}`),
    onProblem: (p) => {
      problems.push(p);
      log.push(p.kind);
    },
    onEnd: (complete) => log.push(`end ${complete}`),
    onError: (e) => errors.push(e),
  };
  return { log, starts, problems, errors, handlers };
}

describe('progressive playback', () => {
  it('starts the player on the first full snapshot, then appends, reporting gaps and damage in order', async () => {
    const r = recorder();
    const loader = new PlaybackLoader(fakeClient(), 'sess-1', r.handlers);
    await loader.load(undefined);
    expect(r.log).toEqual(['start 3', 'events 1', 'gap', 'events 2', 'damaged', 'events 1', 'end true']);
    expect(r.problems[0]).toMatchObject({ kind: 'gap', fromSeq: 20, toSeq: 29, at: T0 + 20_000 });
    expect(r.problems[1]).toMatchObject({ kind: 'damaged', fromSeq: 40, reason: 'body is not gzip' });
    expect(loader.hasLoaded(T0 + 45_000)).toBe(true);
  });

  it('reloads from the nearest full snapshot when seeking outside what is loaded', async () => {
    const client = fakeClient();
    const r = recorder();
    const loader = new PlaybackLoader(client, 'sess-1', r.handlers);
    await loader.load(T0 + 35_000, 'w1');
    expect(client.streams).toEqual([{ at: T0 + 35_000, window: 'w1' }]);
    expect(r.starts[0]![0]!.timestamp).toBe(T0 + 30_000);
    expect(loader.hasLoaded(T0 + 5_000)).toBe(false);
    expect(loader.hasLoaded(T0 + 36_000)).toBe(true);
  });

  it('waits for a full snapshot before drawing, and says when there is none', async () => {
    const r = recorder();
    const client = fakeClient({
      lines: () => [
        { type: 'start', sessionId: 's', windowId: 'w', at: 0, fromSeq: 0, fromTimestamp: 0 },
        {
          type: 'segment',
          seq: 0,
          firstTimestamp: 1,
          lastTimestamp: 2,
          events: [
            { type: 3, timestamp: 1 },
            { type: 3, timestamp: 2 },
          ],
        },
        { type: 'end', segments: 1 },
      ],
    });
    await new PlaybackLoader(client, 'sess-1', r.handlers).load(undefined);
    expect(r.starts).toHaveLength(0);
    expect(r.errors[0]!.message).toMatch(/no full snapshot/);
  });

  it('reports a stream that stopped with an error line as incomplete', async () => {
    const r = recorder();
    const client = fakeClient({
      lines: () => [
        { type: 'start', sessionId: 's', windowId: 'w', at: 0, fromSeq: 0, fromTimestamp: 0 },
        {
          type: 'segment',
          seq: 0,
          firstTimestamp: 1,
          lastTimestamp: 2,
          events: [
            { type: 4, timestamp: 1 },
            { type: 2, timestamp: 2 },
          ],
        },
        { type: 'error', reason: 'object store unavailable, retry later', retryable: true },
      ],
    });
    await new PlaybackLoader(client, 'sess-1', r.handlers).load(undefined);
    expect(r.log).toEqual(['start 2', 'error', 'end false']);
  });

  it('drops the lines of a load that a newer load replaced', async () => {
    const r = recorder();
    const loader = new PlaybackLoader(fakeClient(), 'sess-1', r.handlers);
    const first = loader.load(undefined);
    const second = loader.load(T0 + 35_000);
    await Promise.all([first, second]);
    expect(r.starts.map((s) => s[0]!.timestamp)).toEqual([T0 + 30_000]);
  });
});
