// Typed access to the SDK's script-tag build, which index.html loads before this app:
// it defines `window.OtelReplay` with the same exports as the `@otel-replay/sdk` package.

import type { init, getInstance } from '../../sdk/src/index.ts';

export interface OtelReplayGlobal {
  init: typeof init;
  getInstance: typeof getInstance;
}

export function otelReplay(): OtelReplayGlobal | null {
  return (window as unknown as { OtelReplay?: OtelReplayGlobal }).OtelReplay ?? null;
}
