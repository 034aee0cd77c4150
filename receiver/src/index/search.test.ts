// The search builder on its own: user values only ever travel as parameters (the SQL
// text depends on which filters are present, never on their values), placeholders
// match the dialect, and LIKE wildcards in user text are escaped.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { SessionQuery } from './session-index.ts';
import { InvalidSessionQueryError, SESSION_SORT_FIELDS, buildSessionSearch, escapeLike } from './search.ts';

const textFields = ['service', 'userId', 'url', 'browser', 'text'] as const;

describe('buildSessionSearch', () => {
  it('produces SQL text that depends only on which filters are present, never on their values', () => {
    const someText = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }).filter((s) => !s.includes('\u0000'));
    fc.assert(
      fc.property(
        fc.record({ service: someText, userId: someText, url: someText, browser: someText, text: someText, tenant: someText }),
        fc.record({ service: someText, userId: someText, url: someText, browser: someText, text: someText, tenant: someText }),
        fc.subarray([...textFields]),
        fc.constantFrom('sqlite', 'postgres') as fc.Arbitrary<'sqlite' | 'postgres'>,
        (a, b, present, dialect) => {
          const make = (v: typeof a): SessionQuery => {
            const query: SessionQuery = { tenant: v.tenant, limit: 10, offset: 0, from: 1, to: 2 };
            for (const f of present) query[f] = v[f];
            return query;
          };
          const qa = buildSessionSearch(make(a), dialect);
          const qb = buildSessionSearch(make(b), dialect);
          assert.equal(qa.page.sql, qb.page.sql);
          assert.equal(qa.count.sql, qb.count.sql);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('numbers PostgreSQL placeholders and uses ? for SQLite, one per parameter', () => {
    const query: SessionQuery = {
      tenant: 't', from: 1, to: 2, service: 's', userId: 'u', url: 'x', minDurationMs: 1, maxDurationMs: 9,
      hasErrors: true, hasRageClicks: false, hasReplay: true, browser: 'b', text: 'q', sort: 'duration', order: 'asc', limit: 5, offset: 10,
    };
    const pgq = buildSessionSearch(query, 'postgres');
    const liteq = buildSessionSearch(query, 'sqlite');
    assert.equal(pgq.page.params.length, 12);
    assert.deepEqual(pgq.page.sql.match(/\$\d+/g), pgq.page.params.map((_, i) => `$${i + 1}`));
    assert.equal(liteq.page.sql.match(/\?/g)?.length, liteq.page.params.length);
    assert.deepEqual(pgq.page.params, liteq.page.params);
    assert.deepEqual(pgq.count.params, pgq.page.params.slice(0, -2));
    assert.match(pgq.page.sql, /ORDER BY \(last_seen - first_seen\) ASC, session_id ASC LIMIT \$11 OFFSET \$12$/);
    // The internal search columns are filtered on, never returned.
    assert.doesNotMatch(pgq.page.sql.split(' FROM ')[0]!, /search_/);
  });

  it('escapes LIKE wildcards and folds case in user text', () => {
    assert.equal(escapeLike('100%_a\\b'), '100\\%\\_a\\\\b');
    const built = buildSessionSearch({ tenant: 't', url: 'A%B_C\\D', limit: 1, offset: 0 }, 'sqlite');
    assert.ok(built.page.params.includes('%a\\%b\\_c\\\\d%'));
    assert.match(built.page.sql, /search_url LIKE \? ESCAPE '\\'/);
  });

  it('matches nothing for a needle with NUL instead of sending it', () => {
    const built = buildSessionSearch({ tenant: 't', text: 'a\u0000', service: '\u0000', limit: 1, offset: 0 }, 'postgres');
    assert.ok(built.page.params.every((p) => typeof p !== 'string' || !p.includes('\u0000')));
    assert.match(built.page.sql, /1 = 0/);
  });

  it('defaults to the most recent sessions first and accepts every whitelisted sort', () => {
    assert.match(buildSessionSearch({ tenant: 't', limit: 1, offset: 0 }, 'sqlite').page.sql, /ORDER BY last_seen DESC, session_id DESC/);
    for (const sort of SESSION_SORT_FIELDS) {
      for (const order of ['asc', 'desc'] as const) buildSessionSearch({ tenant: 't', sort, order, limit: 1, offset: 0 }, 'postgres');
    }
  });

  it('refuses limits, offsets, sorts and bounds out of range, naming the setting', () => {
    const bad: [Partial<SessionQuery>, RegExp][] = [
      [{ limit: 0 }, /limit/], [{ limit: 501 }, /limit/], [{ limit: Number.NaN }, /limit/], [{ offset: -1 }, /offset/],
      [{ offset: 0.5 }, /offset/], [{ sort: 'toString' as never }, /sort/], [{ sort: '__proto__' as never }, /sort/],
      [{ order: 'ASC' as never }, /order/], [{ from: Infinity }, /from/], [{ minDurationMs: '5' as never }, /minDurationMs/],
      [{ hasErrors: 'yes' as never }, /hasErrors/], [{ url: 42 as never }, /url/], [{ tenant: '' }, /tenant/],
    ];
    for (const [patch, message] of bad) {
      assert.throws(() => buildSessionSearch({ tenant: 't', limit: 10, offset: 0, ...patch }, 'sqlite'), (err: Error) => err instanceof InvalidSessionQueryError && message.test(err.message));
    }
  });
});
