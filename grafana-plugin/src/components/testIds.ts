// Test ids in one place: Jest tests and the Chromium harness find elements by these.
export const testIds = {
  appConfig: {
    receiverUrl: 'data-testid ac-receiver-url',
    receiverToken: 'data-testid ac-receiver-token',
    tenant: 'data-testid ac-tenant',
    submit: 'data-testid ac-submit-form',
    error: 'data-testid ac-error',
  },
  sessions: {
    container: 'data-testid sessions-page',
    table: 'data-testid sessions-table',
    row: 'data-testid sessions-row',
    empty: 'data-testid sessions-empty',
    error: 'data-testid sessions-error',
    loading: 'data-testid sessions-loading',
    range: 'data-testid sessions-range',
  },
  session: {
    container: 'data-testid session-page',
    error: 'data-testid session-error',
    export: 'data-testid session-export',
    truncated: 'data-testid session-truncated',
  },
  player: {
    container: 'data-testid replay-player',
    loading: 'data-testid replay-loading',
    error: 'data-testid replay-error',
    problems: 'data-testid replay-problems',
    strip: 'data-testid replay-strip',
    marker: 'data-testid replay-marker',
    /** The player's own code is still downloading (see LazyReplayPlayer). */
    chunkLoading: 'data-testid replay-chunk-loading',
    loadError: 'data-testid replay-load-error',
  },
  timeline: {
    container: 'data-testid timeline',
    entry: 'data-testid timeline-entry',
    explore: 'data-testid timeline-explore',
    error: 'data-testid timeline-error',
    empty: 'data-testid timeline-empty',
  },
};
