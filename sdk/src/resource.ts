// The resource every span and log of the SDK carries: the service, and the browser
// facts the session index shows (user agent, platform, mobile), read once at init.

import type { Attributes } from '@opentelemetry/api';
import { Attr } from '@otel-replay/protocol';
import type { OtelReplayOptions } from './config.ts';

export const SDK_NAME = 'otel-replay';
export const SDK_VERSION = '0.1.0';

interface UserAgentData {
  mobile?: boolean;
  platform?: string;
  brands?: { brand: string; version: string }[];
}

export function resourceAttributes(options: OtelReplayOptions): Attributes {
  const attributes: Attributes = {
    [Attr.serviceName]: options.serviceName,
    'telemetry.sdk.name': SDK_NAME,
    'telemetry.sdk.version': SDK_VERSION,
    'telemetry.sdk.language': 'webjs',
  };
  if (options.serviceVersion) attributes['service.version'] = options.serviceVersion;
  if (options.environment) attributes['deployment.environment.name'] = options.environment;
  if (typeof navigator !== 'undefined') {
    attributes[Attr.userAgent] = navigator.userAgent;
    const uad = (navigator as Navigator & { userAgentData?: UserAgentData }).userAgentData;
    if (uad) {
      if (uad.platform) attributes[Attr.browserPlatform] = uad.platform;
      if (typeof uad.mobile === 'boolean') attributes[Attr.browserMobile] = uad.mobile;
      const brand = uad.brands?.find((b) => !/not.?a.?brand/i.test(b.brand) && b.brand !== 'Chromium') ?? uad.brands?.find((b) => !/not.?a.?brand/i.test(b.brand));
      if (brand) attributes[Attr.browserName] = brand.brand;
    }
  }
  return attributes;
}
