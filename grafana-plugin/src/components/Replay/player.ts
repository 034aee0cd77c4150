// The slice of rrweb-player's API the app uses, typed here so the rest of the code does not
// depend on the player's Svelte typings.
import RrwebPlayer from 'rrweb-player';
import type { RrwebEvent } from '../../types';

export interface PlayerHandle {
  addEvent(event: RrwebEvent): void;
  goto(timeOffset: number, play?: boolean): void;
  toggle(): void;
  play(): void;
  pause(): void;
  setSpeed(speed: number): void;
  toggleFullscreen(): void;
  triggerResize(): void;
  addEventListener(event: string, handler: (params: unknown) => unknown): void;
  getMetaData(): { startTime: number; endTime: number; totalTime: number };
  $destroy(): void;
}

export interface PlayerOptions {
  target: HTMLElement;
  events: RrwebEvent[];
  width: number;
  height: number;
  autoPlay: boolean;
}

export const SPEEDS = [1, 2, 4, 8];

export function createPlayer({ target, events, width, height, autoPlay }: PlayerOptions): PlayerHandle {
  const Ctor = RrwebPlayer as unknown as new (options: {
    target: HTMLElement;
    props: Record<string, unknown>;
  }) => PlayerHandle;
  return new Ctor({
    target,
    props: {
      events,
      width,
      height,
      autoPlay,
      skipInactive: true,
      showController: true,
      speedOption: SPEEDS,
      mouseTail: false,
    },
  });
}
