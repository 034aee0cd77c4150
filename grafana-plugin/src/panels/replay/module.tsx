// The dashboard panel shipped inside the app: recent sessions of the dashboard's time range,
// or the replay of one session (usually picked by a dashboard variable such as $session).
// The public path must be fixed before anything else runs (see publicPath.ts).
import './publicPath';
import { PanelPlugin } from '@grafana/data';
import { ReplayPanel } from './ReplayPanel';
import type { ReplayPanelOptions } from './ReplayPanel';

export const plugin = new PanelPlugin<ReplayPanelOptions>(ReplayPanel).setNoPadding().setPanelOptions((builder) =>
  builder
    .addRadio({
      path: 'mode',
      name: 'Show',
      defaultValue: 'recent',
      settings: {
        options: [
          { value: 'recent', label: 'Recent sessions' },
          { value: 'replay', label: 'Replay' },
        ],
      },
    })
    .addTextInput({
      path: 'sessionId',
      name: 'Session id',
      description: 'A session id or a dashboard variable, e.g. $session',
      defaultValue: '$session',
      showIf: (o) => o.mode === 'replay',
    })
    .addNumberInput({ path: 'limit', name: 'Sessions shown', defaultValue: 10, showIf: (o) => o.mode === 'recent' })
    .addBooleanSwitch({
      path: 'errorsOnly',
      name: 'Only sessions with errors',
      defaultValue: false,
      showIf: (o) => o.mode === 'recent',
    })
);
