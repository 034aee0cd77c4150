// Shapes of the receiver's query API answers (README "Query API", receiver/src/query) and of
// the app's settings, as the plugin reads them.
import type { RrwebEvent } from '@otel-replay/protocol';

export type { RrwebEvent };

/** jsonData saved by the config page; the bearer token lives in secureJsonData.receiverToken. */
export interface AppSettings {
  receiverUrl?: string;
  lokiUid?: string;
  tempoUid?: string;
  tenant?: string;
  /**
   * Origins (https://assets.example.com) whose recorded assets may load during replay, for
   * teams whose assets are public. Unset: a replay fetches nothing at all. Set by provisioning.
   */
  allowedAssetOrigins?: string[];
}

export type {
  PlaybackLine,
  SeqGap,
  SessionDetail,
  SessionSearchResult as SessionPage,
  SessionSummary,
  TimelineSegment,
  WindowDetail,
} from '@otel-replay/protocol';
