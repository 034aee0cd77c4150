// Test support: emits LogRecords the way Splunk's rrweb-era recorder and HyperDX's fork
// do (same counters, same byte-slice chunking through TextDecoder, same attribute and
// timestamp quirks), so the legacy tests exercise real-shaped input. Not exported by
// the package.

import type { AttributeValue, Attributes } from './segment.ts';

export interface SdkRecord {
  attributes: Attributes;
  resource: Attributes;
  body: AttributeValue;
  timeUnixNano: bigint;
}

export interface SdkOptions {
  flavour: 'splunk' | 'hyperdx';
  sessionId: string;
  /** splunk.scriptInstance / rum.scriptInstance; null leaves it out. */
  instance: string | null;
  /** Splunk and HyperDX use 950 KiB; tests use small slices to get many chunks. */
  chunkBytes: number;
}

/** One recorder instance (one page load): counters start at 1 like the SDKs'. */
export class FakeLegacySdk {
  private eventCounter = 1;
  private logCounter = 1;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  private readonly options: SdkOptions;

  constructor(options: SdkOptions) {
    this.options = options;
  }

  resource(): Attributes {
    const { flavour, sessionId, instance } = this.options;
    if (flavour === 'splunk') {
      return { 'splunk.rumSessionId': sessionId, ...(instance ? { 'splunk.scriptInstance': instance } : {}), app: 'shop', 'splunk.rumVersion': '0.24.0' };
    }
    return { 'rum.sessionId': sessionId, ...(instance ? { 'rum.scriptInstance': instance } : {}), 'service.name': 'shop', 'rum.version': '0.9.0' };
  }

  /** The records for one rrweb event, as the SDK's emit callback produces them. */
  emit(event: { timestamp: number }): SdkRecord[] {
    const time = event.timestamp;
    const eventI = this.eventCounter++;
    const body = this.encoder.encode(JSON.stringify(event));
    const totalC = Math.ceil(body.byteLength / this.options.chunkBytes);
    const out: SdkRecord[] = [];
    for (let i = 0; i < totalC; i++) {
      const slice = body.slice(i * this.options.chunkBytes, (i + 1) * this.options.chunkBytes);
      out.push({
        // Every JS number goes out as an OTLP doubleValue; the decoder hands back numbers.
        attributes: { 'rr-web.offset': this.logCounter++, 'rr-web.event': eventI, 'rr-web.chunk': i + 1, 'rr-web.total-chunks': totalC },
        resource: this.resource(),
        body: this.decoder.decode(slice),
        // Splunk: milliseconds in the nanosecond field. HyperDX: ms * 1e6 as a JS double.
        timeUnixNano: this.options.flavour === 'splunk' ? BigInt(time) : BigInt(time * 1_000_000),
      });
    }
    return out;
  }
}

/** A small but real-shaped rrweb recording: Meta, FullSnapshot, then incremental events. */
export function recording(start: number, incremental: number, snapshotText = 'Grüße 👋 — naïve café'): { type: number; timestamp: number; data: unknown }[] {
  const events: { type: number; timestamp: number; data: unknown }[] = [
    { type: 4, timestamp: start, data: { href: 'https://shop.example/cart?id=1', width: 1280, height: 720 } },
    {
      type: 2,
      timestamp: start + 1,
      data: {
        node: {
          type: 0,
          id: 1,
          childNodes: [
            { type: 1, name: 'html', publicId: '', systemId: '', id: 2 },
            { type: 2, tagName: 'html', attributes: { lang: 'de' }, id: 3, childNodes: [{ type: 3, textContent: snapshotText.repeat(40), id: 4 }] },
          ],
        },
        initialOffset: { left: 0, top: 0 },
      },
    },
  ];
  for (let i = 0; i < incremental; i++) {
    events.push({ type: 3, timestamp: start + 10 + i * 7, data: { source: 1, positions: [{ x: i, y: 2 * i, id: 4, timeOffset: -3 }] } });
  }
  return events;
}
