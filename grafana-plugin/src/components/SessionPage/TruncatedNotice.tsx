// Says, above the player, that the receiver cut this recording at a per-session cap
// (duration or size): the replay ends at the cut although the session went on, and that
// must never look like a player bug or a lost upload.
import React from 'react';
import { dateTimeFormat } from '@grafana/data';
import { Alert } from '@grafana/ui';
import { formatDuration } from '../../services/time';
import type { SessionSummary } from '../../types';
import { testIds } from '../testIds';

const CAPS: Record<string, string> = {
  'max-duration': 'its maximum recording duration (receiver setting sessionLimits.maxDurationMs)',
  'max-bytes': 'its maximum recording size (receiver setting sessionLimits.maxBytes)',
};

export function TruncatedNotice({ session }: { session: Pick<SessionSummary, 'firstSeen' | 'truncatedAt' | 'truncatedReason'> }) {
  const { truncatedAt, truncatedReason, firstSeen } = session;
  if (truncatedAt === undefined) {
    return null;
  }
  const cap = (truncatedReason && CAPS[truncatedReason]) ?? 'a per-session limit of the receiver';
  return (
    <div data-testid={testIds.session.truncated}>
      <Alert severity="warning" title="Recording cut short">
        The receiver stopped storing this recording at {dateTimeFormat(truncatedAt)} (
        {formatDuration(Math.max(0, truncatedAt - firstSeen))} into the session): the session reached {cap}. The replay
        ends there; logs and traces after it may still appear in the timeline.
      </Alert>
    </div>
  );
}
