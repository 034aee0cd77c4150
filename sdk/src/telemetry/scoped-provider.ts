// What the SDK's logger and tracer providers share: one logger/tracer per instrumentation
// scope, and flushing/shutting down their processors once.

import type { LogResource } from './logger-provider.ts';

export interface InstrumentationScope {
  name: string;
  version: string | undefined;
  schemaUrl: string | undefined;
}

interface Processor {
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export abstract class ScopedProvider<P extends Processor, T> {
  readonly resource: LogResource;
  readonly processors: P[];
  isShutdown = false;
  readonly #byScope = new Map<string, T>();

  constructor(resource: LogResource, processors: P[]) {
    this.resource = resource;
    this.processors = processors;
  }

  /** The logger or tracer of one scope, made by `create` on first use. */
  protected scoped(name: string, version: string | undefined, options: { schemaUrl?: string } | undefined, create: (scope: InstrumentationScope) => T): T {
    const key = `${name}@${version ?? ''}:${options?.schemaUrl ?? ''}`;
    let made = this.#byScope.get(key);
    if (!made) this.#byScope.set(key, (made = create({ name, version, schemaUrl: options?.schemaUrl })));
    return made;
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.forceFlush()));
  }

  async shutdown(): Promise<void> {
    if (this.isShutdown) return;
    this.isShutdown = true;
    await Promise.all(this.processors.map((p) => p.shutdown()));
  }
}
