// A recording made by an attacker, for the replay-safety tests of the HTML export and the
// Grafana app: scripts, inline handlers, javascript: URLs, and every way a DOM can make a
// browser fetch (images, srcset, stylesheets, @import, CSS url(), fonts, frames, media,
// objects, a meta refresh, a form, SVG image/use, late mutations, stylesheet rules, a font
// event). Every URL points at a "trap" server on 127.0.0.1 that counts what reaches it, and
// every script tries to set window.top.__pwned or open a dialog.

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { segmentMetaOf } from '@otel-replay/protocol';
import type { RrwebEvent, Segment } from '@otel-replay/protocol';

export interface Trap {
  /** http://127.0.0.1:<port>: an origin no page under test has. */
  origin: string;
  /** Paths requested so far. */
  hits: string[];
  close(): Promise<void>;
}

const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** Answers everything (images as a GIF, the rest as text) so a leak is never hidden by an error. */
export async function startTrap(): Promise<Trap> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '');
    const image = /\.(png|gif|jpg)$/.test(req.url ?? '');
    res.writeHead(200, { 'content-type': image ? 'image/gif' : 'text/html', 'access-control-allow-origin': '*' });
    res.end(image ? GIF : '<p>trap</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export const HOSTILE_TITLE = 'Nothing to see here';
/** Text the last event writes: once it is on screen, the replay has applied every event. */
export const HOSTILE_DONE = 'replay reached the end';
const SCRIPT = "top.__pwned = 'script'; alert('pwned')";

/** The hostile recording: Meta, FullSnapshot, then incremental events over ~1.5 s. */
export function hostileEvents(start: number, trap: string): RrwebEvent[] {
  let id = 1;
  const text = (textContent: string, extra: Record<string, unknown> = {}) => ({ type: 3, textContent, id: id++, ...extra });
  const el = (tagName: string, attributes: Record<string, string | boolean> = {}, childNodes: unknown[] = [], extra: Record<string, unknown> = {}) => ({ type: 2, tagName, attributes, childNodes, id: id++, ...extra });
  const doc = { type: 0, id: id++, childNodes: [] as unknown[] };
  const status = el('p', { id: 'status' }, [text('playing')]);
  const statusText = (status.childNodes[0] as { id: number }).id;
  const img = el('img', { id: 'late-target', src: 'data:image/gif;base64,R0lGODlhAQABAAAAACw=' });
  const body = el('body', { background: `${trap}/body-background.png`, onload: SCRIPT }, [
    el('h1', { id: 'title', style: `background-image: url(${trap}/h1-bg.png)` }, [text(HOSTILE_TITLE)]),
    status,
    el('script', {}, [text(SCRIPT)]),
    el('script', { src: `${trap}/script.js` }),
    el('img', { src: `${trap}/img.png`, onerror: SCRIPT, onload: SCRIPT }),
    el('img', { src: 'x', srcset: `${trap}/srcset-1.png 1x, ${trap}/srcset-2.png 2x`, onerror: SCRIPT }),
    el('img', { src: `  JaVaScRiPt:${SCRIPT}` }),
    img,
    el('picture', {}, [el('source', { srcset: `${trap}/picture-source.png` }), el('img', { src: `${trap}/picture-img.png` })]),
    el('iframe', { src: `${trap}/frame.html` }),
    el('iframe', { src: `javascript:${SCRIPT}` }),
    el('iframe', { srcdoc: `<script>${SCRIPT}</script><img src="${trap}/srcdoc.png">` }),
    el('iframe', { src: 'data:text/html,<script>top.__pwned="data"</script>' }),
    el('video', { src: `${trap}/video.mp4`, poster: `${trap}/poster.png`, autoplay: true }, [el('source', { src: `${trap}/video-source.webm` }), el('track', { src: `${trap}/track.vtt`, default: true })]),
    el('audio', { src: `${trap}/audio.mp3`, autoplay: true }),
    el('object', { data: `${trap}/object.html` }),
    el('embed', { src: `${trap}/embed.html` }),
    el('form', { action: `${trap}/form`, method: 'post', id: 'form' }, [el('input', { name: 'q', autofocus: true, onfocus: SCRIPT }), el('input', { type: 'image', src: `${trap}/input-image.png` })]),
    el('a', { href: `javascript:${SCRIPT}`, id: 'js-link' }, [text('click me')]),
    el('a', { href: '#title', id: 'fragment-link' }, [text('top')]),
    el('table', { background: `${trap}/table-bg.png` }, [el('tbody', {}, [el('tr', {}, [el('td', { style: `background:u\\72l(${trap}/escaped-css.png)` }, [text('cell')])])])]),
    el('svg', { width: '10', height: '10' }, [
      el('image', { href: `${trap}/svg-image.png`, width: '10', height: '10' }, [], { isSVG: true }),
      el('use', { href: `${trap}/sprite.svg#icon` }, [], { isSVG: true }),
    ], { isSVG: true }),
  ]);
  const head = el('head', {}, [
    el('meta', { 'http-equiv': 'refresh', content: `1; url=${trap}/meta-refresh` }),
    el('base', { href: `${trap}/base/` }),
    el('link', { rel: 'stylesheet', href: `${trap}/style.css` }),
    el('link', { rel: 'icon', href: `${trap}/favicon.ico` }),
    el('link', { rel: 'preload', as: 'image', href: `${trap}/preload.png` }),
    el('style', {}, [text(`@import url(${trap}/import.css); @font-face { font-family: Evil; src: url(${trap}/font.woff2) } h1 { font-family: Evil } body { background-image: url('${trap}/style-bg.png') }`, { isStyle: true })]),
  ]);
  doc.childNodes.push({ type: 1, name: 'html', publicId: '', systemId: '', id: id++ }, el('html', {}, [head, body]));
  const bodyId = body.id;
  return [
    { type: 4, timestamp: start, data: { href: 'https://victim.example/page', width: 1024, height: 576 } },
    { type: 2, timestamp: start + 1, data: { node: doc, initialOffset: { left: 0, top: 0 } } },
    { type: 3, timestamp: start + 300, data: { source: 0, texts: [], removes: [], attributes: [{ id: img.id, attributes: { src: `${trap}/mutated-src.png`, onload: SCRIPT } }], adds: [{ parentId: bodyId, nextId: null, node: el('img', { src: `${trap}/added.png`, onerror: SCRIPT }) }] } },
    { type: 3, timestamp: start + 400, data: { source: 8, id: (head.childNodes[5] as { id: number }).id, adds: [{ rule: `p { background: url(${trap}/rule.png) }`, index: 0 }] } },
    { type: 3, timestamp: start + 500, data: { source: 10, family: 'Evil2', fontSource: `url(${trap}/font-event.woff2)`, buffer: false, descriptors: {} } },
    { type: 3, timestamp: start + 600, data: { source: 0, texts: [], removes: [], attributes: [], adds: [{ parentId: bodyId, nextId: null, node: el('link', { rel: 'stylesheet', href: `${trap}/late-style.css` }) }] } },
    { type: 3, timestamp: start + 1500, data: { source: 0, texts: [{ id: statusText, value: HOSTILE_DONE }], removes: [], attributes: [], adds: [] } },
  ];
}

/** The hostile recording as one stored segment. */
export function hostileSegment(sessionId: string, start: number, trap: string): Segment {
  const events = hostileEvents(start, trap);
  return {
    meta: segmentMetaOf(events, { sessionId, windowId: 'tab-hostile', seq: 0 }, 'gzip-json'),
    body: new Uint8Array(gzipSync(JSON.stringify(events))),
  };
}
