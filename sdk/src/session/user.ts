// Who the user is, once the app calls identify(): kept beside the session so the span
// and log processors can stamp `user.id` on everything that follows.

import type { Attributes } from '@opentelemetry/api';

export class UserContext {
  #id: string | null = null;
  #attributes: Attributes = {};

  get id(): string | null {
    return this.#id;
  }

  /** `user.id` plus `user.<trait>` for each primitive trait (objects and functions are dropped). */
  set(userId: string, traits: Record<string, unknown> = {}): Attributes {
    const attributes: Attributes = { 'user.id': userId };
    for (const [key, value] of Object.entries(traits)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
        attributes[key.startsWith('user.') ? key : `user.${key}`] = value;
      }
    }
    this.#id = userId;
    this.#attributes = attributes;
    return attributes;
  }

  clear(): void {
    this.#id = null;
    this.#attributes = {};
  }

  /** The attributes stamped on spans and events: only `user.id` (traits go on the identify event). */
  stamp(): Attributes {
    return this.#id === null ? {} : { 'user.id': this.#id };
  }

  get attributes(): Attributes {
    return this.#attributes;
  }
}
