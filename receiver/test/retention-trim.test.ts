// Retention trimming a session that is still recording, end to end on a real receiver
// with each index engine (SQLite, and a real PostgreSQL): the oldest half of a live
// session's segment rows is past retention, the retention job removes those rows, and
// then the query API shows counters equal to a fresh count of what is left (segments,
// bytes, start, duration) in the summary and in search, and playback starts from the
// earliest full snapshot still stored. Rows are aged in the database rather than waiting
// days: received_at is the only thing retention reads about a row.

import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { PlaybackLine, SessionDetail, SessionSearchResult } from '@otel-replay/protocol';
import { createRetentionJob } from '../src/app.ts';
import { request } from './helpers/http.ts';
import { segmentsRequest } from './helpers/otlp-json.ts';
import { startReceiver } from './helpers/receiver.ts';
import type { RunningReceiver } from './helpers/receiver.ts';
import { makeSegment } from './helpers/recording.ts';
import { startPostgres } from './peers/postgres.ts';
import type { PostgresPeer } from './peers/postgres.ts';

const DAY = 86_400_000;
const LIVE = 'live-session-1';
const OTHER = 'other-session-1';

/** Moves the receive time of `sessionId`'s segments with seq < `below` three days back. */
type Age = (sessionId: string, below: number) => Promise<number>;

async function getJson<T>(rx: RunningReceiver, route: string): Promise<T> {
  const res = await request(`${rx.url}/api/v1${route}`);
  assert.equal(res.status, 200, `${route}: ${res.body.toString('utf8').slice(0, 300)}`);
  return JSON.parse(res.body.toString('utf8')) as T;
}

async function events(rx: RunningReceiver, query = ''): Promise<PlaybackLine[]> {
  const res = await request(`${rx.url}/api/v1/sessions/${LIVE}/events${query}`);
  assert.equal(res.status, 200, res.body.toString('utf8'));
  return res.body.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as PlaybackLine);
}

function scenario(name: string, open: () => Promise<{ rx: RunningReceiver; age: Age; close(): Promise<void> }>): void {
  describe(`retention trims a live session (${name})`, () => {
    let env: Awaited<ReturnType<typeof open>>;
    before(async () => {
      env = await open();
    });
    after(async () => {
      await env?.close();
    });

    test('counters are recounted from the remaining rows; playback starts at the earliest full snapshot left', async () => {
      const { rx } = env;
      const start = Date.now() - 10 * 60_000;
      // Ten segments of one tab, a full snapshot every third one (0, 3, 6, 9); another session untouched.
      const made = Array.from({ length: 10 }, (_, seq) => makeSegment({ sessionId: LIVE, seq, start: start + seq * 20_000, count: 5 + seq, full: seq % 3 === 0 }).segment);
      const other = [0, 1].map((seq) => makeSegment({ sessionId: OTHER, seq, start: start + seq * 1000 }).segment);
      const res = await request(`${rx.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(segmentsRequest([...made, ...other])) });
      assert.equal(res.status, 200, res.body.toString('utf8'));
      const before = await getJson<SessionDetail>(rx, `/sessions/${LIVE}`);
      const otherBefore = await getJson<SessionDetail>(rx, `/sessions/${OTHER}`);
      assert.equal(before.segments, 10);

      // Half the session is now older than retention (1 day): the job removes those rows.
      assert.equal(await env.age(LIVE, 5), 5);
      const report = await createRetentionJob(rx.receiver.services, rx.receiver.app.log).runOnce();
      assert.ok(report, 'the job ran');
      assert.equal(report.segments, 5);
      assert.equal(report.sessions, 0, 'the session itself lives on');

      const after = await getJson<SessionDetail>(rx, `/sessions/${LIVE}`);
      const left = after.windows.flatMap((w) => w.segments);
      assert.deepEqual(left.map((s) => s.seq), [5, 6, 7, 8, 9]);
      const fresh = {
        segments: left.length,
        replayBytes: left.reduce((n, s) => n + s.length, 0),
        firstSeen: Math.min(...left.map((s) => s.firstTimestamp)),
      };
      assert.deepEqual({ segments: after.segments, replayBytes: after.replayBytes, firstSeen: after.firstSeen }, fresh);
      assert.equal(after.durationMs, after.lastSeen - fresh.firstSeen);
      assert.equal(after.lastSeen, before.lastSeen);
      assert.ok(after.replayBytes < before.replayBytes && after.durationMs < before.durationMs);
      // Search answers with the same numbers, and sorts by the new duration.
      const search = await getJson<SessionSearchResult>(rx, `/sessions?from=${start - 3600_000}&to=${Date.now() + 60_000}&sort=duration`);
      const listed = search.sessions.find((s) => s.sessionId === LIVE)!;
      const { windows: _w, ...summary } = after;
      assert.deepEqual(listed, summary);
      assert.deepEqual(await getJson<SessionDetail>(rx, `/sessions/${OTHER}`), otherBefore, 'another session is untouched');

      // Playback from the start, or from a moment before any snapshot left, begins at seq 6.
      for (const query of ['', `?at=${after.firstSeen}`]) {
        const lines = await events(rx, query);
        const startLine = lines[0]!;
        assert.equal(startLine.type, 'start');
        assert.equal(startLine.type === 'start' && startLine.fromSeq, 6, query);
        assert.deepEqual(lines.filter((l) => l.type === 'segment').map((l) => l.type === 'segment' && l.seq), [6, 7, 8, 9], query);
        assert.equal(lines.at(-1)!.type, 'end');
        const first = lines.find((l) => l.type === 'segment');
        assert.equal(first?.type === 'segment' && first.events[0]?.type, 4, 'the first segment streamed starts with Meta + FullSnapshot');
      }
      const late = await events(rx, `?at=${made[9]!.meta.firstTimestamp + 1}`);
      const lateStart = late[0]!;
      assert.equal(lateStart.type === 'start' && lateStart.fromSeq, 9);
      // The remaining segments still read back.
      assert.equal((await request(`${rx.url}/api/v1/sessions/${LIVE}/segments/${made[5]!.meta.windowId}/5`)).status, 200);
      assert.equal((await request(`${rx.url}/api/v1/sessions/${LIVE}/segments/${made[0]!.meta.windowId}/0`)).status, 404);

      // New segments after the trim count on top of it.
      const next = makeSegment({ sessionId: LIVE, seq: 10, start: start + 10 * 20_000 }).segment;
      assert.equal((await request(`${rx.url}/v1/logs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(segmentsRequest([next])) })).status, 200);
      const grown = await getJson<SessionDetail>(rx, `/sessions/${LIVE}`);
      assert.deepEqual([grown.segments, grown.replayBytes, grown.firstSeen], [fresh.segments + 1, fresh.replayBytes + next.body.length, fresh.firstSeen]);
    });
  });
}

const RETENTION = { retention: { days: 1, objectMarginDays: 0, intervalMs: 3600_000 } };

scenario('SQLite', async () => {
  const rx = await startReceiver(RETENTION);
  const file = rx.receiver.services.config.index.sqlite.path;
  return {
    rx,
    async age(sessionId, below) {
      const db = new DatabaseSync(file);
      try {
        db.exec('PRAGMA busy_timeout = 5000');
        return Number(db.prepare('UPDATE segments SET received_at = received_at - ? WHERE session_id = ? AND seq < ?').run(3 * DAY, sessionId, below).changes);
      } finally {
        db.close();
      }
    },
    close: () => rx.stop(),
  };
});

let peer: PostgresPeer | undefined;
scenario('PostgreSQL', async () => {
  peer = await startPostgres({ database: 'retention_trim_base' });
  const url = await peer.createDatabase('retention_trim');
  const rx = await startReceiver({ ...RETENTION, index: { engine: 'postgres', postgres: { url } } });
  return {
    rx,
    async age(sessionId, below) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query('UPDATE segments SET received_at = received_at - $1 WHERE session_id = $2 AND seq < $3', [3 * DAY, sessionId, below])).rowCount ?? 0;
      } finally {
        await client.end();
      }
    },
    async close() {
      await rx.stop();
      await peer?.dispose();
    },
  };
});
