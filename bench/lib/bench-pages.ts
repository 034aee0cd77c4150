// The pages the browser benchmarks load, as HTML text, and the in-page code that starts
// each recorder. Page code is plain browser JavaScript kept in strings (bench/ is
// typechecked without DOM types). Everything is deterministic: a seeded PRNG drives
// every change, so each mode of a benchmark does exactly the same work.

/**
 * Which recorder a page runs: none; @rrweb/record with its defaults shipping JSON;
 * @rrweb/record with the SDK's privacy defaults (all text and inputs masked, media and
 * canvas blocked: what masking alone costs); or the SDK's script-tag build.
 */
export type RecorderMode = 'none' | 'rrweb' | 'rrweb-masked' | 'ours';

/**
 * The SDK's privacy defaults (sdk/src/replay/privacy.ts with DEFAULTS.replay) as rrweb
 * options, repeated here because bench pages cannot import SDK internals. Text is masked
 * by rrweb's own default (every non-space character to '*'), as the SDK does when no
 * unmask selector is set.
 */
const MASKED_RRWEB_OPTIONS = `maskAllInputs: true, maskTextSelector: '*', maskInputFn: (t) => (t === '' ? '' : '******'), blockSelector: 'img,video,audio,picture,object,embed,image,canvas'`;

/** mulberry32: small, seedable, the same in every browser. */
const PRNG = `function mulberry32(a){return function(){a|=0;a=a+0x6D2B79F5|0;let t=Math.imul(a^a>>>15,1|a);t=t+Math.imul(t^t>>>7,61|t)^t;return((t^t>>>14)>>>0)/4294967296}}`;

const WORDS = ['alpha', 'bravo', 'cobalt', 'delta', 'ember', 'fjord', 'granite', 'harbor', 'indigo', 'juniper', 'kepler', 'lumen', 'meadow', 'nimbus', 'onyx', 'prairie', 'quartz', 'raven', 'sierra', 'tundra'];

function scriptTags(mode: RecorderMode): string {
  if (mode === 'rrweb' || mode === 'rrweb-masked') return '<script src="/rrweb-record.js"></script>';
  if (mode === 'ours') return '<script src="/otel-replay.iife.js"></script>';
  return '';
}

/**
 * Starts the recorder of `mode` and resolves once it records; defines `window.__finish()`
 * (ships what is pending) and `window.__rrwebEvents` (rrweb modes: every event kept).
 * Raw rrweb ships like its users usually do: the events as one JSON.stringify'd POST
 * every `shipEveryMs`; the SDK flushes at the same interval unless `sdkDefaults`.
 */
export function startRecorderScript(mode: RecorderMode, options: { shipEveryMs: number; keepRrwebEvents: boolean; sdkDefaults?: boolean }): string {
  if (mode === 'none') return 'window.__finish = () => Promise.resolve(); true';
  if (mode === 'rrweb' || mode === 'rrweb-masked') {
    return `(() => {
  const pending = [];
  window.__rrwebEvents = ${options.keepRrwebEvents} ? [] : null;
  window.__shipped = 0;
  const stop = rrwebRecord.record({ emit(e) { pending.push(e); if (window.__rrwebEvents) window.__rrwebEvents.push(e); }${mode === 'rrweb-masked' ? `, ${MASKED_RRWEB_OPTIONS}` : ''} });
  if (!stop) throw new Error('rrweb record() did not start');
  const ship = () => {
    if (pending.length === 0) return Promise.resolve();
    const body = JSON.stringify(pending.splice(0));
    window.__shipped += body.length;
    return fetch('/sink', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }).then((r) => r.text());
  };
  const timer = setInterval(ship, ${options.shipEveryMs});
  window.__finish = () => { clearInterval(timer); stop(); return ship(); };
  return true;
})()`;
  }
  return `(async () => {
  const handle = OtelReplay.init({ endpoint: location.origin, serviceName: 'bench'${options.sdkDefaults ? '' : `, replay: { flushIntervalMs: ${options.shipEveryMs} }`} });
  await handle.start();
  if (!handle.parts || !handle.parts.replay || !handle.parts.replay.isRecording()) throw new Error('otel-replay init() did not start recording');
  window.__finish = () => handle.flush();
  return true;
})()`;
}

// ---- sdk-cpu: a mutation-heavy dashboard ----

export interface MutationWorkload {
  ticks: number;
  intervalMs: number;
  rows: number;
  seed: number;
}

/**
 * A live "orders" dashboard: a table and a feed list mutated `ticks` times, every
 * `intervalMs`. Per tick: 40 cell texts change, 10 rows toggle a class, a progress bar's
 * style changes, 3 feed items are added and the oldest beyond 60 removed; every 20th tick
 * the whole table body is rebuilt. `window.runWorkload()` resolves with how long it took
 * and how many ticks ran late (a busy main thread shows up as lateness).
 */
export function mutationPage(mode: RecorderMode, w: MutationWorkload): string {
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Orders dashboard</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 0; color: #1d2330; }
header { display: flex; align-items: center; gap: 16px; padding: 8px 16px; background: #f4f5f7; border-bottom: 1px solid #d0d4db; }
#progress { width: 240px; height: 8px; background: #e3e6eb; border-radius: 4px; }
#bar { height: 8px; background: #3871dc; border-radius: 4px; width: 0; }
main { display: grid; grid-template-columns: 3fr 1fr; gap: 16px; padding: 16px; }
main > * { contain: layout paint; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
td, th { border-bottom: 1px solid #e3e6eb; padding: 2px 6px; text-align: right; white-space: nowrap; overflow: hidden; }
tr.hot td { background: #fff4e5; }
tr.cold td { color: #7b8494; }
#feed { list-style: none; margin: 0; padding: 0; height: 700px; overflow: hidden; contain: strict; }
#feed li { padding: 4px 0; border-bottom: 1px dashed #d0d4db; }
#feed li b { color: #3871dc; }
</style></head>
<body>
<header><h1>Orders</h1><div id="progress"><div id="bar"></div></div><span id="clock">0</span></header>
<main>
  <table id="grid"><thead><tr><th>#</th><th>Customer</th><th>Region</th><th>Items</th><th>Total</th><th>Status</th></tr></thead><tbody></tbody></table>
  <ul id="feed"></ul>
</main>
${scriptTags(mode)}
<script>
${PRNG}
const WORDS = ${JSON.stringify(WORDS)};
const ROWS = ${w.rows};
const STATUS = ['new', 'paid', 'packed', 'shipped', 'delivered', 'returned'];
const rand = mulberry32(${w.seed});
const pick = (list) => list[Math.floor(rand() * list.length)];
const tbody = document.querySelector('#grid tbody');
const feed = document.getElementById('feed');
const bar = document.getElementById('bar');
const clock = document.getElementById('clock');
let feedCount = 0;
function cellText(col, row) {
  switch (col) {
    case 0: return String(row + 1);
    case 1: return pick(WORDS) + ' ' + pick(WORDS);
    case 2: return pick(['north', 'south', 'east', 'west']);
    case 3: return String(1 + Math.floor(rand() * 20));
    case 4: return (rand() * 1000).toFixed(2);
    default: return pick(STATUS);
  }
}
function buildTable() {
  const frag = document.createDocumentFragment();
  for (let r = 0; r < ROWS; r++) {
    const tr = document.createElement('tr');
    for (let c = 0; c < 6; c++) {
      const td = document.createElement('td');
      td.textContent = cellText(c, r);
      tr.appendChild(td);
    }
    frag.appendChild(tr);
  }
  tbody.replaceChildren(frag);
}
function tick(i) {
  const rows = tbody.children;
  for (let k = 0; k < 40; k++) {
    const r = Math.floor(rand() * ROWS), c = 1 + Math.floor(rand() * 5);
    rows[r].children[c].textContent = cellText(c, r);
  }
  for (let k = 0; k < 10; k++) {
    const tr = rows[Math.floor(rand() * ROWS)];
    tr.className = pick(['', 'hot', 'cold']);
  }
  bar.style.width = ((i % 100) + 1) + '%';
  clock.textContent = String(i);
  for (let k = 0; k < 3; k++) {
    const li = document.createElement('li');
    const b = document.createElement('b');
    b.textContent = pick(WORDS);
    li.append(b, ' ordered ' + (1 + Math.floor(rand() * 9)) + ' × ' + pick(WORDS) + ' #' + (++feedCount));
    feed.prepend(li);
  }
  while (feed.children.length > 60) feed.lastElementChild.remove();
  if (i % 20 === 19) buildTable();
}
buildTable();
// Each tick runs in its own timer task (not a promise continuation), so CDP counts it as script.
window.runWorkload = () => new Promise((resolve) => {
  const t0 = performance.now();
  let i = 0, late = 0;
  const step = () => {
    tick(i++);
    if (i >= ${w.ticks}) return resolve({ wallMs: performance.now() - t0, late });
    const wait = t0 + i * ${w.intervalMs} - performance.now();
    if (wait < -${w.intervalMs}) late++;
    setTimeout(step, Math.max(0, wait));
  };
  setTimeout(step, 0);
});
</script>
</body></html>`;
}

// ---- sdk-wire: a realistic shop page a scripted user works through ----

/**
 * A small shop: a search box filtering product cards, "add to cart" buttons updating a
 * cart, a checkout form (inputs, textarea, select), a live activity feed changing every
 * 1.5 s, a toast, and a long article to scroll. The user is scripted from Node (clicks,
 * typing, scrolling, mouse moves), see sdk-wire.ts.
 */
export function shopPage(mode: RecorderMode, seed: number): string {
  const products = Array.from({ length: 16 }, (_, i) => ({ name: `${WORDS[i % WORDS.length]} ${WORDS[(i * 7 + 3) % WORDS.length]}`, price: (9.5 + ((i * 37) % 90)).toFixed(2) }));
  const cards = products.map((p, i) => `<div class="card" data-name="${p.name}"><div class="thumb"></div><h3>${p.name}</h3><p>Hand-made ${p.name} in small batches, ships in two days.</p><span class="price">$${p.price}</span><button class="add" data-i="${i}">Add to cart</button></div>`).join('\n');
  const paragraphs = Array.from({ length: 24 }, (_, i) => `<h3>Chapter ${i + 1}: ${WORDS[i % WORDS.length]}</h3><p>${Array.from({ length: 60 }, (_, k) => WORDS[(i * 13 + k * 7) % WORDS.length]).join(' ')}.</p>`).join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title>
<style>
body { font: 15px system-ui, sans-serif; margin: 0; color: #222; }
nav { display: flex; gap: 20px; padding: 12px 24px; background: #10223b; color: #fff; position: sticky; top: 0; }
nav a { color: #cfe0ff; }
.layout { display: grid; grid-template-columns: 3fr 1fr; gap: 24px; padding: 24px; }
#products { display: grid; grid-template-columns: repeat(4, 1fr); gap: 16px; }
.card { border: 1px solid #dde3ea; border-radius: 8px; padding: 12px; }
.card.hidden { display: none; }
.thumb { height: 80px; background: linear-gradient(135deg, #c9d8f0, #f3d9c9); border-radius: 6px; }
.price { font-weight: 600; display: block; margin: 6px 0; }
aside { border-left: 1px solid #dde3ea; padding-left: 16px; }
#cartItems li { display: flex; justify-content: space-between; }
form { display: grid; gap: 8px; max-width: 420px; padding: 24px; }
input, textarea, select { font: inherit; padding: 6px; }
#feedList li { padding: 4px 0; }
#toast { position: fixed; bottom: 24px; right: 24px; background: #1a7f37; color: #fff; padding: 12px 16px; border-radius: 6px; }
article { padding: 24px; max-width: 760px; line-height: 1.6; }
</style></head>
<body>
<nav><strong>Shop</strong><a href="#products">Products</a><a href="#checkout">Checkout</a><span>Cart (<span id="cartCount">0</span>)</span></nav>
<div class="layout">
  <section>
    <input id="search" placeholder="Search products" autocomplete="off">
    <div id="products">
${cards}
    </div>
  </section>
  <aside>
    <h2>Cart</h2><ul id="cartItems"></ul><div>Total: <span id="total">$0.00</span></div>
    <h2>Live activity</h2><ul id="feedList"></ul>
  </aside>
</div>
<form id="checkout" onsubmit="return false">
  <h2>Checkout</h2>
  <input id="name" placeholder="Full name" autocomplete="off">
  <input id="email" type="email" placeholder="Email" autocomplete="off">
  <textarea id="notes" rows="3" placeholder="Delivery notes"></textarea>
  <select id="country"><option>Germany</option><option>France</option><option>Portugal</option><option>Sweden</option></select>
  <button type="button" id="submit">Place order</button>
</form>
<div id="toast" hidden></div>
<article>
${paragraphs}
</article>
${scriptTags(mode)}
<script>
${PRNG}
const WORDS = ${JSON.stringify(WORDS)};
const rand = mulberry32(${seed});
const pick = (list) => list[Math.floor(rand() * list.length)];
const products = ${JSON.stringify(products)};
const cart = new Map();
function renderCart() {
  const ul = document.getElementById('cartItems');
  ul.replaceChildren(...[...cart].map(([i, n]) => { const li = document.createElement('li'); li.innerHTML = '<span></span><span></span>'; li.children[0].textContent = products[i].name + ' × ' + n; li.children[1].textContent = '$' + (n * products[i].price).toFixed(2); return li; }));
  let total = 0, count = 0;
  for (const [i, n] of cart) { total += n * products[i].price; count += n; }
  document.getElementById('total').textContent = '$' + total.toFixed(2);
  document.getElementById('cartCount').textContent = String(count);
}
document.getElementById('products').addEventListener('click', (e) => {
  const i = e.target && e.target.dataset ? e.target.dataset.i : undefined;
  if (i === undefined) return;
  cart.set(Number(i), (cart.get(Number(i)) || 0) + 1);
  renderCart();
});
document.getElementById('search').addEventListener('input', (e) => {
  const q = e.target.value.toLowerCase();
  for (const card of document.querySelectorAll('.card')) card.classList.toggle('hidden', q !== '' && !card.dataset.name.includes(q));
});
document.getElementById('submit').addEventListener('click', () => {
  const toast = document.getElementById('toast');
  toast.textContent = 'Order placed for ' + document.getElementById('name').value;
  toast.hidden = false;
  setTimeout(() => { toast.hidden = true; }, 2000);
});
let feedN = 0;
setInterval(() => {
  const li = document.createElement('li');
  li.textContent = pick(WORDS) + ' from ' + pick(WORDS) + ' bought ' + pick(products).name + ' (#' + (++feedN) + ')';
  const ul = document.getElementById('feedList');
  ul.prepend(li);
  while (ul.children.length > 12) ul.lastElementChild.remove();
}, 1500);
</script>
</body></html>`;
}
