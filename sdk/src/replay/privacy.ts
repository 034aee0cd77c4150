// The privacy defaults of DESIGN.md turned into rrweb record options: all text and all
// input values masked, media and (unless opted in) canvas blocked, each relaxable through
// ReplayOptions. Attribute and URL scrubbing happen on the events (scrub.ts), because
// rrweb has no hook for attributes.

import type { ReplayOptions } from '../config.ts';
import type { ScrubConfig } from './scrub.ts';

/** Replaced by same-size placeholders in the recording (scrub.ts), with canvas unless it is recorded. */
export const MEDIA_TAGS = ['img', 'video', 'audio', 'picture', 'object', 'embed', 'image'];

/** Input values are replaced by a fixed string, so not even their length leaks. */
export const MASKED_INPUT = '******';

type Privacy = Pick<ReplayOptions, 'maskAllText' | 'maskAllInputs' | 'blockMedia' | 'blockSelector' | 'unmaskSelector' | 'recordCanvas' | 'recordIframes' | 'scrubAttributes' | 'scrubUrlQuery'>;

/**
 * What rrweb itself blocks: iframes unless recorded, and the app's own selector. Media and
 * canvas are blocked by tag on the events instead (scrub.ts): rrweb would match its block
 * selector against the target of every mutation, ancestors included, which cost as much
 * as all its text masking on a busy page.
 */
export function blockSelector(options: Privacy): string | undefined {
  const parts = [options.recordIframes ? null : 'iframe', options.blockSelector].filter((s): s is string => Boolean(s && s.trim()));
  return parts.length ? parts.join(',') : undefined;
}

export function matches(element: Element | null | undefined, selector: string | null): boolean {
  if (!selector || !element || typeof element.closest !== 'function') return false;
  try {
    return element.closest(selector) !== null;
  } catch {
    return false; // an invalid selector unmasks nothing
  }
}

export interface PrivacyRecordOptions {
  maskAllInputs: boolean;
  maskTextSelector?: string;
  maskTextFn?: (text: string, element: HTMLElement | null) => string;
  maskInputFn: (text: string, element: HTMLElement) => string;
  blockSelector?: string;
}

/** rrweb `record()` options for masking and blocking. */
export function privacyRecordOptions(options: Privacy): PrivacyRecordOptions {
  const out: PrivacyRecordOptions = {
    maskAllInputs: options.maskAllInputs,
    maskInputFn: (text, element) => {
      // Passwords are never unmasked, whatever the selector says.
      const isPassword = (element as HTMLInputElement | null)?.type === 'password';
      if (!isPassword && matches(element, options.unmaskSelector)) return text;
      return text === '' ? '' : MASKED_INPUT;
    },
  };
  if (options.maskAllText) out.maskTextSelector = '*';
  // Without an unmask selector rrweb's own masking (every non-space character to '*') is
  // the same, and saves a call per text node.
  if (options.unmaskSelector) out.maskTextFn = (text, element) => (matches(element, options.unmaskSelector) ? text : text.replace(/\S/g, '*'));
  const block = blockSelector(options);
  if (block) out.blockSelector = block;
  return out;
}

/** Scrubbing rules for events; `elementOf` maps an rrweb node id to the live element. */
export function scrubConfig(options: Privacy, elementOf?: (nodeId: number) => Element | null): ScrubConfig {
  const config: ScrubConfig = {
    attributes: new Set(options.scrubAttributes.map((a) => a.toLowerCase())),
    urlQuery: options.scrubUrlQuery,
  };
  if (options.unmaskSelector && elementOf) config.isUnmasked = (id) => matches(elementOf(id), options.unmaskSelector);
  const tags = options.blockMedia ? [...MEDIA_TAGS] : [];
  if (!options.recordCanvas) tags.push('canvas');
  if (tags.length) {
    config.blockTags = new Set(tags);
    config.blocked = new Set();
    config.sizeOf = (id) => elementOf?.(id)?.getBoundingClientRect() ?? null;
  }
  return config;
}
