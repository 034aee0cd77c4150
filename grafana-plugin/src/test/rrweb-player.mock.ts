// A stand-in for rrweb-player in Jest (the real one replays into an iframe, which jsdom
// cannot do). It records what the app asks of it so tests can assert on it.
export interface MockPlayerCall {
  events: Array<{ type: number; timestamp: number }>;
  gotos: Array<{ offset: number; play?: boolean }>;
  destroyed: boolean;
}

export const players: MockPlayerCall[] = [];

export default class MockPlayer {
  private readonly record: MockPlayerCall;
  private readonly listeners = new Map<string, Array<(p: unknown) => unknown>>();

  constructor(options: { target: HTMLElement; props: { events: Array<{ type: number; timestamp: number }> } }) {
    this.record = { events: [...options.props.events], gotos: [], destroyed: false };
    players.push(this.record);
    const frame = document.createElement('div');
    frame.className = 'rr-player';
    frame.textContent = `frame at ${options.props.events[0]?.timestamp}`;
    options.target.appendChild(frame);
  }
  addEvent(e: { type: number; timestamp: number }) {
    this.record.events.push(e);
  }
  goto(offset: number, play?: boolean) {
    this.record.gotos.push({ offset, play });
    for (const l of this.listeners.get('ui-update-current-time') ?? []) {
      l({ payload: offset });
    }
  }
  addEventListener(name: string, handler: (p: unknown) => unknown) {
    this.listeners.set(name, [...(this.listeners.get(name) ?? []), handler]);
  }
  toggle() {}
  play() {}
  pause() {}
  setSpeed() {}
  toggleFullscreen() {}
  triggerResize() {}
  getMetaData() {
    const ts = this.record.events.map((e) => e.timestamp);
    return { startTime: Math.min(...ts), endTime: Math.max(...ts), totalTime: Math.max(...ts) - Math.min(...ts) };
  }
  $destroy() {
    this.record.destroyed = true;
  }
}
