// The replay sanitizer: every URL-bearing place of a recording (full snapshots and
// incremental events) loses URLs that could reach the network, whatever the encoding
// tricks, and keeps what is inert or allowed.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INERT_CSS, INERT_DOCUMENT, INERT_IMAGE, ReplaySanitizer, safeCss, safeSrcset, safeUrl, sanitizeReplayEvents } from './index.ts';
import type { RrwebEvent } from './index.ts';

const none = new Set<string>();
const cdn = new Set(['https://cdn.example.com']);
const EXTERNAL = /https?:|(^|[\s("'])\/\/|evil\.example|javascript|text\/html/i;

let nextId = 1;
function el(tagName: string, attributes: Record<string, unknown> = {}, childNodes: unknown[] = [], extra: Record<string, unknown> = {}) {
  return { type: 2, tagName, attributes, childNodes, id: nextId++, ...extra };
}
function text(textContent: string, extra: Record<string, unknown> = {}) {
  return { type: 3, textContent, id: nextId++, ...extra };
}
function full(...body: unknown[]): RrwebEvent {
  return { type: 2, timestamp: 1, data: { node: { type: 0, id: nextId++, childNodes: [el('html', {}, [el('head'), el('body', {}, body)])] }, initialOffset: { top: 0, left: 0 } } };
}
function incremental(data: Record<string, unknown>): RrwebEvent {
  return { type: 3, timestamp: 2, data };
}
/** Every string anywhere in a value. */
function strings(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object') Object.entries(v).forEach(([k, x]) => { out.push(k); strings(x, out); });
  return out;
}

describe('safeUrl', () => {
  it('refuses absolute, relative, protocol-relative and script URLs, whatever the spelling', () => {
    const hostile = [
      'https://evil.example/x.png', 'http://evil.example', '//evil.example/x', '/api/admin/users', 'x.png', '../x',
      'javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' \tjavascript:alert(1)', 'java\tscript:alert(1)', 'java\nscript:alert(1)',
      '\u0001javascript:alert(1)', '&#106;avascript:alert(1)', 'vbscript:x', 'blob:https://evil.example/uuid', 'ftp://evil.example/x',
      'HTTPS://EVIL.EXAMPLE/X', 'https://cdn.example.com.evil.example/x', 'https://cdn.example.com@evil.example/x', 'filesystem:https://evil.example/x',
    ];
    for (const u of hostile) {
      assert.equal(safeUrl(u, 'image', cdn), INERT_IMAGE, u);
      assert.equal(safeUrl(u, 'document', cdn), INERT_DOCUMENT, u);
      assert.equal(safeUrl(u, 'css', cdn), INERT_CSS, u);
    }
  });

  it('keeps fragments, empty values, allowed origins and harmless data: types for the context', () => {
    assert.equal(safeUrl('#section-2', 'document', none), '#section-2');
    assert.equal(safeUrl('', 'image', none), '');
    assert.equal(safeUrl('https://cdn.example.com/a.png', 'image', cdn), 'https://cdn.example.com/a.png');
    assert.equal(safeUrl('https://cdn.example.com:443/a.png', 'image', cdn), 'https://cdn.example.com:443/a.png');
    assert.equal(safeUrl('https://cdn.example.com:8443/a.png', 'image', cdn), INERT_IMAGE, 'another port is another origin');
    assert.equal(safeUrl('data:image/png;base64,AAAA', 'image', none), 'data:image/png;base64,AAAA');
    assert.equal(safeUrl('DATA:IMAGE/PNG;base64,AAAA', 'image', none), 'DATA:IMAGE/PNG;base64,AAAA');
    assert.equal(safeUrl('data:font/woff2;base64,AAAA', 'css', none), 'data:font/woff2;base64,AAAA');
    assert.equal(safeUrl('data:video/mp4;base64,AAAA', 'media', none), 'data:video/mp4;base64,AAAA');
  });

  it('refuses data: documents and data: types that do not fit the context', () => {
    assert.equal(safeUrl('data:text/html,<script>alert(1)</script>', 'document', none), INERT_DOCUMENT);
    assert.equal(safeUrl('data:image/svg+xml,<svg/>', 'document', none), INERT_DOCUMENT, 'an SVG document in an iframe/object is a page');
    assert.equal(safeUrl('data:text/html;base64,PHNjcmlwdD4=', 'image', none), INERT_IMAGE);
    assert.equal(safeUrl(' data:text/css,@import url(https://evil.example)', 'css', none), INERT_CSS, 'a data: stylesheet could import more');
    assert.equal(safeUrl('data:,hello', 'image', none), INERT_IMAGE);
  });

  it('rejects an allowlist entry that is not an http(s) origin', () => {
    assert.throws(() => new ReplaySanitizer({ allowedOrigins: ['cdn.example.com'] }), /is not a URL/);
    assert.throws(() => new ReplaySanitizer({ allowedOrigins: ['javascript:alert(1)'] }), /must be http/);
  });
});

describe('safeSrcset', () => {
  it('checks every candidate, keeping descriptors, data: URLs with commas and allowed origins', () => {
    const out = safeSrcset('https://evil.example/a.png 1x, data:image/png;base64,AA,AA 2x,https://cdn.example.com/b.png 3x,  /c.png   640w', cdn);
    assert.equal(out, `${INERT_IMAGE} 1x, data:image/png;base64,AA,AA 2x, https://cdn.example.com/b.png 3x, ${INERT_IMAGE} 640w`);
  });
  it('handles candidates without descriptors and trailing commas', () => {
    // Without whitespace the commas belong to one URL, as a browser reads it.
    assert.equal(safeSrcset('https://evil.example/a.png,https://evil.example/b.png,', none), INERT_IMAGE);
    assert.equal(safeSrcset('https://evil.example/a.png, https://evil.example/b.png', none), `${INERT_IMAGE}, ${INERT_IMAGE}`);
  });
});

describe('safeCss', () => {
  const cases: Array<[string, string]> = [
    ['body { background: url(https://evil.example/bg.png) }', 'unquoted url'],
    ['body { background: url( "https://evil.example/bg.png" ) }', 'quoted url with spaces'],
    ["body { background: URL('https://evil.example/bg.png') }", 'upper-case URL'],
    ['body { background: \\75 rl(https://evil.example/bg.png) }', 'escaped u (hex + space)'],
    ['body { background: u\\72l(https://evil.example/bg.png) }', 'escaped r'],
    ['body { background: url(https\\3a //evil.example/bg.png) }', 'escape inside the url'],
    ['body { background: url("ht\\74ps://evil.example/bg.png") }', 'escape inside the string'],
    ['@import "https://evil.example/x.css";', '@import string'],
    ['@IMPORT url(https://evil.example/x.css) screen;', '@import url'],
    ['@\\69mport "https://evil.example/x.css";', 'escaped @import'],
    ['@font-face { font-family: x; src: url(https://evil.example/f.woff2) format("woff2") }', 'font src'],
    ['div { background-image: image-set("https://evil.example/a.png" 1x, url(https://evil.example/b.png) 2x) }', 'image-set'],
    ['div { background-image: -webkit-image-set("https://evil.example/a.png" 1x) }', '-webkit-image-set'],
    ['div { cursor: url(https://evil.example/c.cur), auto; filter: url(https://evil.example/f.svg#x) }', 'cursor and filter'],
    ['div { background: url(https://evil.example/a.png', 'url at end of input (still fetched)'],
    ['div { background: url(//evil.example/a.png) }', 'protocol-relative'],
    ['div { background: url(/api/admin) }', 'relative'],
    ['div { background: url(javascript:alert(1)) }', 'javascript:'],
    ['div { background:/**/url(https://evil.example/a.png) }', 'comment before'],
    ['div { background: url(https://evil.example/a".png) }', 'bad url'],
  ];
  for (const [css, what] of cases) {
    it(`rewrites ${what}`, () => {
      const out = safeCss(css, none);
      assert.doesNotMatch(out, /evil|javascript|\/api\/admin/i, `${what}: ${out}`);
    });
  }

  it('keeps allowed origins, data: fonts and images, fragments and CSS without URLs byte for byte', () => {
    const keep = [
      'div { background: url(https://cdn.example.com/a.png) }',
      'div { background: url(data:image/png;base64,AAAA) }',
      '@font-face { src: url("data:font/woff2;base64,AAAA") }',
      'rect { fill: url(#gradient) }',
      'div { content: "https://not-a-url-just-text"; font-family: "Helvetica Neue" }',
      'a:hover { color: red } /* url(https://in-a-comment) */',
    ];
    for (const css of keep) assert.equal(safeCss(css, cdn), css);
  });

  it('does not mistake a comment-split name for url(', () => {
    const css = 'div { background: ur/**/l(https://example.com/x) }';
    assert.equal(safeCss(css, none), css, 'the browser does not read this as url() either');
  });
});

describe('ReplaySanitizer on full snapshots', () => {
  it('neutralises every URL-bearing element and attribute of a hostile page', () => {
    const events = [
      { type: 4, timestamp: 0, data: { href: 'https://shop.example/checkout', width: 800, height: 600 } },
      full(
        el('img', { src: 'https://evil.example/pixel.gif', srcset: 'https://evil.example/a.png 2x', onerror: 'alert(1)' }),
        el('img', { src: 'data:image/png;base64,AAAA', rr_dataURL: 'https://evil.example/x' }),
        el('link', { rel: 'stylesheet', href: 'https://evil.example/s.css' }),
        el('link', { rel: 'preload', as: 'image', href: 'https://evil.example/p.png', imagesrcset: 'https://evil.example/p2.png 2x' }),
        el('style', { _cssText: 'body{background:url(https://evil.example/bg.png)}' }, [text('@import "https://evil.example/i.css";', { isStyle: true })]),
        el('div', { style: 'background-image: url("https://evil.example/d.png")', background: 'https://evil.example/bg2.png' }),
        el('iframe', { src: 'https://evil.example/frame', srcdoc: '<img src=https://evil.example/x>', rr_src: 'https://evil.example/frame2' }),
        el('video', { src: 'https://evil.example/v.mp4', poster: 'https://evil.example/poster.png' }, [el('source', { src: 'https://evil.example/v.webm' }), el('track', { src: 'https://evil.example/t.vtt' })]),
        el('audio', { src: 'https://evil.example/a.mp3' }),
        el('object', { data: 'https://evil.example/o.swf' }),
        el('embed', { src: 'https://evil.example/e.swf' }),
        el('meta', { 'http-equiv': 'Refresh', content: '0; url=https://evil.example/redirect' }),
        el('form', { action: 'https://evil.example/steal' }, [el('input', { type: 'image', src: 'https://evil.example/btn.png' }), el('button', { formaction: 'https://evil.example/steal2' })]),
        el('a', { href: 'javascript:alert(1)', ping: 'https://evil.example/ping' }),
        el('a', { href: '#top' }),
        el('area', { href: 'https://evil.example/area' }),
        el('table', { background: 'https://evil.example/t.png' }),
        el('base', { href: 'https://evil.example/' }),
        el('script', { src: 'https://evil.example/x.js' }, [text('SCRIPT_PLACEHOLDER')]),
        el('svg', {}, [
          el('image', { href: 'https://evil.example/svg.png', 'xlink:href': 'https://evil.example/svg2.png' }, [], { isSVG: true }),
          el('use', { href: 'https://evil.example/sprite.svg#i' }, [], { isSVG: true }),
          el('use', { href: '#local-icon' }, [], { isSVG: true }),
          el('rect', { fill: 'url(https://evil.example/p.svg#g)', filter: 'url(https://evil.example/f.svg#f)' }, [], { isSVG: true }),
          el('set', { attributeName: 'href', to: 'https://evil.example/smil.png' }, [], { isSVG: true }),
        ], { isSVG: true }),
        el('div', { title: 'x', 'data-bg': 'url(https://evil.example/custom.png)' }),
      ),
    ];
    const out = sanitizeReplayEvents(structuredClone(events));
    const body = strings(out[1]);
    const leaked = body.filter((s) => EXTERNAL.test(s));
    assert.deepEqual(leaked, [], 'no external or script URL survives anywhere in the snapshot');
    assert.ok(!body.includes('onerror'), 'inline handlers are dropped');
    assert.ok(!body.includes('srcdoc'), 'srcdoc documents are dropped');
    assert.ok(body.includes('#top') && body.includes('#local-icon'), 'fragment links stay');
    assert.ok(body.includes('data:image/png;base64,AAAA'), 'inline images stay');
    assert.ok(body.includes('x-otel-replay-blocked-refresh'), 'the refresh pragma is disarmed');
    assert.deepEqual(out[0], events[0], 'the meta event (the recorded page URL) is information, not a fetch');
  });

  it('keeps assets of allowed origins', () => {
    const [e] = sanitizeReplayEvents([full(el('img', { src: 'https://cdn.example.com/logo.png' }), el('img', { src: 'https://evil.example/logo.png' }))], { allowedOrigins: ['https://cdn.example.com'] });
    const s = strings(e);
    assert.ok(s.includes('https://cdn.example.com/logo.png'));
    assert.ok(!s.some((x) => x.includes('evil')));
  });

  it('walks very deep trees without overflowing the stack', () => {
    let node: Record<string, unknown> = el('img', { src: 'https://evil.example/deep.png' });
    for (let i = 0; i < 50_000; i++) node = el('div', {}, [node]);
    const [e] = sanitizeReplayEvents([full(node)]);
    let n = (e!.data as { node: Record<string, unknown> }).node;
    while (Array.isArray(n['childNodes']) && (n['childNodes'] as unknown[]).length) n = (n['childNodes'] as Record<string, unknown>[]).at(-1)!;
    assert.equal((n['attributes'] as Record<string, string>)['src'], INERT_IMAGE);
  });
});

describe('ReplaySanitizer on incremental events', () => {
  it('checks added nodes, attribute changes, style objects and text changes of stylesheets', () => {
    const s = new ReplaySanitizer();
    const style = el('style', {}, [text('', { isStyle: true })]);
    const styleText = (style.childNodes[0] as { id: number }).id;
    const img = el('img', { src: 'data:image/png;base64,AA' });
    const para = text('hello');
    s.sanitize([full(style, img, el('p', {}, [para]))]);
    const events = s.sanitize([
      incremental({
        source: 0,
        adds: [
          { parentId: 1, nextId: null, node: el('img', { src: 'https://evil.example/added.png', onload: 'alert(1)' }) },
          { parentId: style.id, nextId: null, node: text('body{background:url(https://evil.example/late.png)}') },
          { parentId: 1, nextId: null, node: el('iframe', {}, [{ type: 0, id: nextId++, childNodes: [el('img', { src: 'https://evil.example/in-iframe.png' })] }]) },
        ],
        attributes: [
          { id: img.id, attributes: { src: 'https://evil.example/changed.png', srcset: 'https://evil.example/c.png 2x', onclick: 'alert(1)' } },
          { id: img.id, attributes: { style: { 'background-image': 'url(https://evil.example/s.png)', border: ['url(https://evil.example/b.png)', 'important'], color: false } } },
          { id: 9999, attributes: { href: 'https://evil.example/unknown', content: '0;URL=https://evil.example/r', 'http-equiv': 'refresh' } },
        ],
        texts: [
          { id: styleText, value: '@import url(https://evil.example/t.css)' },
          { id: 123456, value: 'div{background:url(https://evil.example/unknown-text.png)}' },
          { id: para.id, value: 'see url(https://example.com) in plain text' },
        ],
        removes: [],
      }),
      incremental({ source: 8, id: 5, adds: [{ rule: '.a{background:url(https://evil.example/r.png)}', index: 0 }], replace: '@import "https://evil.example/r2.css";', replaceSync: 'b{background:url(https://evil.example/r3.png)}' }),
      incremental({ source: 13, id: 5, index: [0], set: { property: 'background', value: 'url(https://evil.example/decl.png)', priority: '' } }),
      incremental({ source: 15, id: 1, styleIds: [1], styles: [{ styleId: 1, rules: [{ rule: '@font-face{src:url(https://evil.example/f.woff)}', index: 0 }] }] }),
      incremental({ source: 10, family: 'Evil', fontSource: 'url(https://evil.example/font.woff2)', buffer: false, descriptors: {} }),
      incremental({ source: 10, family: 'Bare', fontSource: 'https://evil.example/bare.woff2', buffer: false, descriptors: {} }),
      incremental({ source: 9, id: 7, type: 0, commands: [{ property: 'drawImage', args: [{ rr_type: 'HTMLImageElement', src: 'https://evil.example/canvas.png' }, 0, 0] }] }),
    ]);
    const all = strings(events);
    assert.deepEqual(all.filter((x) => EXTERNAL.test(x) && !x.includes('https://example.com')), []);
    assert.ok(all.includes('see url(https://example.com) in plain text'), 'text of a known non-style node is left as typed');
    assert.ok(!all.includes('onload') && !all.includes('onclick'));
    assert.ok(all.includes('x-otel-replay-blocked-refresh'));
    const styleChange = ((events[0]!.data as { attributes: Array<{ attributes: Record<string, unknown> }> }).attributes[1]!.attributes['style']) as Record<string, unknown>;
    assert.equal(styleChange['color'], false, 'a removed property stays removed');
    assert.deepEqual(styleChange['border'], [`url("${INERT_CSS}")`, 'important']);
  });

  it('leaves a font given as bytes alone', () => {
    const e = incremental({ source: 10, family: 'Inline', fontSource: '[0,1,2]', buffer: true, descriptors: {} });
    assert.deepEqual(sanitizeReplayEvents([structuredClone(e)]), [e]);
  });

  it('ignores events and values that are not shaped like rrweb data', () => {
    const odd = [
      { type: 3, timestamp: 1, data: null },
      { type: 3, timestamp: 1, data: { source: 0, adds: 'x', attributes: [null, { id: 1, attributes: 5 }], texts: [{ id: 1, value: 3 }] } },
      { type: 2, timestamp: 1, data: { node: { type: 2, tagName: 5, attributes: null, childNodes: 'no' } } },
      { type: 5, timestamp: 1, data: { tag: 'custom', payload: { href: 'https://example.com' } } },
    ];
    assert.doesNotThrow(() => sanitizeReplayEvents(structuredClone(odd) as RrwebEvent[]));
  });
});
