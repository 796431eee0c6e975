// The inspector (served at /admin/inspector.js; the page allows no inline script).
'use strict';
// Everything shown comes from webhooks: it is inserted as text, never as HTML.
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}
const state = { selected: null, events: [], view: 'events', sources: new Set() };

async function api(path, init) {
  const token = sessionStorage.getItem('switchboard-admin-token');
  const headers = token ? { Authorization: 'Bearer ' + token } : {};
  const res = await fetch('/admin' + path, { ...init, headers });
  if (res.status === 401) { $('login').classList.add('show'); throw new Error('admin token required'); }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || ('HTTP ' + res.status));
  return body;
}
$('login').querySelector('form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  sessionStorage.setItem('switchboard-admin-token', $('token').value);
  $('login').classList.remove('show');
  refresh();
});

const when = (iso) => new Date(iso).toLocaleString();
const ago = (iso) => {
  const s = Math.round((Date.now() - new Date(iso)) / 1000);
  return s < 60 ? s + 's ago' : s < 3600 ? Math.round(s / 60) + 'm ago' : Math.round(s / 3600) + 'h ago';
};
function pretty(text) { try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; } }
function kv(obj) { return el('table', { class: 'kv' }, Object.entries(obj || {}).map(([k, v]) => el('tr', {}, el('td', {}, k), el('td', {}, v)))); }
function badges(counts) {
  const entries = Object.entries(counts || {});
  if (!entries.length) return [el('span', { class: 'badge' }, 'no route')];
  return entries.map(([status, n]) => el('span', { class: 'badge ' + status }, n + ' ' + status));
}

async function loadEvents() {
  const q = new URLSearchParams({ limit: '100' });
  if ($('f-source').value) q.set('source', $('f-source').value);
  if ($('f-topic').value.trim()) q.set('topic', $('f-topic').value.trim());
  if ($('f-status').value) q.set('status', $('f-status').value);
  const { events } = await api('/events?' + q);
  state.events = events;
  const list = $('events');
  list.replaceChildren(...(events.length ? events.map((e) => el('li', {
      class: e.id === state.selected ? 'selected' : '', 'data-id': e.id, onclick: () => select(e.id),
    },
    el('span', { class: 'topic' }, e.topic || '(no topic)'),
    el('span', { class: 'badges' }, badges(e.deliveries)),
    el('span', { class: 'meta' }, e.source + ' · ' + ago(e.receivedAt)),
    el('span', { class: 'meta' }, e.id.slice(0, 12) + '…'),
  )) : [el('li', { class: 'empty' }, 'No events yet. Send a webhook: switchboard send <source> <payload-file>')]));
  renderBulk(events);
}

// "Retry all N shown": with the dead filter on, one bulk retry (POST /deliveries/retry) with the list's
// filter, bounded to what is shown: received since the oldest event shown, at most N deliveries.
function renderBulk(events) {
  const n = $('f-status').value === 'dead' ? events.reduce((k, e) => k + (e.deliveries.dead || 0), 0) : 0;
  const filter = { status: 'dead', limit: n };
  if (n) filter.since = events[events.length - 1].receivedAt;
  if ($('f-source').value) filter.source = $('f-source').value;
  if ($('f-topic').value.trim()) filter.topic = $('f-topic').value.trim();
  const key = JSON.stringify(filter);
  if (state.bulk === key) return;
  state.bulk = key;
  if (!n) { $('bulk').replaceChildren(); return; }
  const button = el('button', { class: 'action secondary', id: 'retry-all', onclick: async () => {
    const what = n + ' dead deliver' + (n === 1 ? 'y' : 'ies') + ' of the ' + events.length + ' event' + (events.length === 1 ? '' : 's') + ' shown';
    if (!confirm('Retry ' + what + '? They go back to pending and are sent again under each target\'s rate limit and concurrency.')) return;
    button.disabled = true;
    try {
      const r = await api('/deliveries/retry', { method: 'POST', body: key });
      button.textContent = 'Queued ' + r.queued + ' for retry';
    } catch (err) { alert(err.message); button.disabled = false; }
    state.bulk = null;
    setTimeout(refresh, 300);
  } }, 'Retry all ' + n + ' shown');
  $('bulk').replaceChildren(button);
}

async function select(id) {
  state.selected = id;
  state.rendered = null;
  for (const li of $('events').children) li.classList.toggle('selected', li.dataset.id === id);
  await renderDetail();
}

function renderCall(call) {
  const r = call.request;
  const status = call.response ? call.response.status : null;
  return el('div', { class: 'call' },
    el('div', { class: 'row' },
      el('span', { class: status ? 'status-' + String(status)[0] : call.confirmation ? 'status-2' : 'status-err' }, status ? 'HTTP ' + status : call.confirmation ? 'confirmed' : 'no answer'),
      el('span', { class: 'meta' }, when(call.startedAt) + ' · ' + call.durationMs + ' ms'),
      call.error ? el('span', { class: 'error' }, call.error) : null),
    el('div', { class: 'two' },
      el('div', {}, el('h3', {}, 'Request'), el('pre', {}, r.method + ' ' + r.url), el('details', {}, el('summary', {}, 'headers'), kv(r.headers)),
        r.body !== undefined ? el('pre', { class: 'request-body' }, pretty(r.body)) : null),
      el('div', {}, el('h3', {}, 'Answer'), call.response
        ? [el('details', {}, el('summary', {}, 'headers'), kv(call.response.headers)), el('pre', { class: 'response-body' }, pretty(call.response.body) || '(empty)')]
        : el('pre', { class: call.confirmation ? 'confirmation' : '' }, call.confirmation || call.error || '—'))));
}

// "Copy as test": the event as a tests: case (GET /admin/events/:id/test) for the clipboard, shown
// in a box as well (the clipboard needs a secure context), with its payload fixture to download.
async function copyAsTest(id) {
  let t;
  try { t = await api('/events/' + encodeURIComponent(id) + '/test'); } catch (err) { state.copy = { id, error: err.message }; return showCopy(id); }
  let copied = false;
  try { if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(t.case); copied = true; } } catch { copied = false; }
  state.copy = { id, t, copied };
  showCopy(id);
}
function copyTestPanel(id) {
  const c = state.copy;
  if (!c || c.id !== id) return null;
  if (c.error) return el('div', { class: 'card copy-test error' }, 'Copy as test: ' + c.error);
  const f = c.t.fixture;
  const bytes = f.encoding === 'base64' ? Uint8Array.from(atob(f.body), (ch) => ch.charCodeAt(0)) : f.body;
  if (state.copyHref) URL.revokeObjectURL(state.copyHref);
  state.copyHref = URL.createObjectURL(new Blob([bytes], { type: f.contentType }));
  const path = (/^\s*payload: (.*)$/m.exec(c.t.case) || [])[1] || f.name;
  const box = el('textarea', { readonly: '', spellcheck: 'false', 'aria-label': 'tests: case' });
  box.value = c.t.case;
  return el('div', { class: 'card copy-test' },
    el('div', { class: 'row' },
      el('strong', {}, c.copied ? 'Copied the tests: case.' : 'Copy the tests: case from the box below (the clipboard is not available here).'),
      el('a', { href: state.copyHref, download: f.name, id: 'copy-test-fixture' }, 'Download the payload (' + f.name + ')')),
    el('div', { class: 'meta' }, 'Paste it under tests: in the config and save the payload as ' + path + ' (next to the config), then run switchboard test. In a terminal, switchboard events export ' + id + ' --as-test does both.'),
    c.t.warnings.length ? el('pre', { class: 'error' }, c.t.warnings.join('\n')) : null,
    box);
}
function showCopy(id) {
  const slot = $('copy-test');
  if (!slot || state.selected !== id) return;
  slot.replaceChildren(...[copyTestPanel(id)].filter(Boolean));
  const box = slot.querySelector('textarea');
  if (box && !state.copy.copied) { box.focus(); box.select(); }
}

async function renderDetail() {
  const id = state.selected;
  if (!id) return;
  let e;
  try { e = await api('/events/' + encodeURIComponent(id)); } catch (err) { $('detail').replaceChildren(el('div', { class: 'error' }, err.message)); return; }
  if (state.selected !== id) return;
  // Polling re-fetches the event: only redraw when something changed, so open sections stay open.
  const snapshot = JSON.stringify(e);
  if (state.rendered === id + snapshot) return;
  state.rendered = id + snapshot;
  const replay = el('button', { class: 'action', id: 'replay', onclick: async () => {
    replay.disabled = true;
    try { await api('/events/' + encodeURIComponent(id) + '/replay', { method: 'POST' }); } catch (err) { alert(err.message); }
    replay.disabled = false;
    setTimeout(refresh, 300);
  } }, 'Replay');
  const copyTest = el('button', { class: 'action secondary', id: 'copy-as-test', onclick: async () => {
    copyTest.disabled = true;
    await copyAsTest(id);
    copyTest.disabled = false;
  } }, 'Copy as test');
  const body = e.body.text !== undefined ? pretty(e.body.text) : '(binary, ' + e.body.size + ' bytes)';
  $('detail').replaceChildren(...[
    el('div', { class: 'row' }, el('h2', {}, e.topic || '(no topic)'), replay, copyTest),
    el('div', { class: 'meta' }, e.source + ' · ' + when(e.receivedAt) + ' · ' + e.id + (e.deliveryId ? ' · sender id ' + e.deliveryId : '')),
    e.verdicts ? el('div', { class: 'card verdicts', id: 'verdicts' },
      el('strong', {}, e.verdicts.summary),
      el('table', { class: 'kv' }, e.verdicts.routes.map((v) => el('tr', { 'data-verdict': v.verdict }, el('td', {}, v.route), el('td', {}, el('span', { class: 'badge ' + (v.verdict === 'sent' ? 'succeeded' : v.verdict === 'failed' ? 'dead' : v.verdict === 'pending' ? 'pending' : 'filtered') }, v.verdict)), el('td', {}, v.reason))))) : null,
    el('div', { id: 'copy-test' }, copyTestPanel(id)),
    el('h3', {}, 'Deliveries'),
    e.deliveries.length ? e.deliveries.map((d) => el('div', { class: 'card delivery', 'data-status': d.status },
      el('div', { class: 'row' },
        el('strong', {}, d.route), el('span', { class: 'meta' }, '→ ' + (d.target || '(route removed)')),
        el('span', { class: 'badge ' + d.status }, d.status),
        el('span', { class: 'meta' }, d.attempts + (d.attempts === 1 ? ' attempt' : ' attempts')),
        d.status === 'pending' && d.nextAttemptAt ? el('span', { class: 'meta' }, 'next ' + when(d.nextAttemptAt)) : null,
        d.status === 'dead' || d.status === 'cancelled' ? el('button', { class: 'action secondary', onclick: async () => {
          try { await api('/deliveries/' + d.id + '/retry', { method: 'POST' }); } catch (err) { alert(err.message); }
          setTimeout(refresh, 300);
        } }, 'Retry') : null),
      d.lastError ? el('div', { class: d.status === 'filtered' ? 'meta' : 'error' }, d.lastError) : null,
      d.calls.map(renderCall))) : el('div', { class: 'meta' }, 'No route took this event.'),
    el('h3', {}, 'Payload'), el('pre', { id: 'payload' }, body),
    el('h3', {}, 'Headers'), kv(e.headers),
    Object.keys(e.query).length ? [el('h3', {}, 'Query'), kv(e.query)] : null,
  ].flat(Infinity).filter(Boolean));
}

async function loadRejections() {
  const { rejections } = await api('/rejections');
  $('rejections').replaceChildren(rejections.length
    ? el('table', { class: 'grid' }, el('tr', {}, ['When', 'Source', 'Status', 'Reason', 'Path', 'From', 'Headers'].map((h) => el('th', {}, h))),
        rejections.map((r) => el('tr', {}, el('td', {}, when(r.at)), el('td', {}, r.source || ''), el('td', {}, r.status),
          el('td', { class: 'error' }, r.reason), el('td', {}, r.method + ' ' + r.path), el('td', {}, r.remote || ''),
          el('td', {}, el('details', {}, el('summary', {}, Object.keys(r.headers).length + ' headers'), kv(r.headers))))))
    : el('div', { class: 'empty' }, 'No rejected webhooks. When a sender gets 401, the reason shows up here.'));
}

async function loadConfig() {
  const c = await api('/config');
  $('version').textContent = 'config ' + c.version.slice(0, 12);
  for (const name of Object.keys((c.config && c.config.sources) || {})) {
    if (!state.sources.has(name)) { state.sources.add(name); $('f-source').append(el('option', { value: name }, name)); }
  }
  if (state.view !== 'config') return;
  // Polling re-fetches the config: only redraw when something changed (the preview below is never redrawn by it).
  const snapshot = JSON.stringify(c);
  if (state.configShown === snapshot) return;
  state.configShown = snapshot;
  const last = c.lastReload;
  $('config-live').replaceChildren(...[
    el('div', { class: 'card' },
      el('div', { class: 'row' }, el('strong', {}, c.file), el('span', { class: 'meta' }, 'version ' + c.version.slice(0, 12) + (c.loadedAt ? ' · loaded ' + when(c.loadedAt) : ''))),
      c.reloads ? el('div', { class: 'meta' }, c.reloads.ok + ' reloads applied, ' + c.reloads.failed + ' failed') : null,
      last ? el('div', { class: last.ok ? 'meta' : 'error', id: 'last-reload' },
        'Last reload (' + last.trigger + ', ' + when(last.at) + '): ' + (last.ok ? (last.unchanged ? 'no change' : 'applied') : 'failed, still serving the previous version')) : null,
      last && last.errors.length ? el('pre', {}, last.errors.join('\n')) : null,
      last && last.needsRestart.length ? el('div', { class: 'error' }, 'Restart to apply: ' + last.needsRestart.join(', ')) : null,
      c.warnings.length ? el('pre', {}, c.warnings.join('\n')) : null),
    el('details', {}, el('summary', {}, 'Live config (secrets masked)'), el('pre', {}, JSON.stringify(c.config, null, 2)))]);
}

// Preview an edit (POST /admin/preview): per route, what the recorded events would do differently.
const LISTS = [['newFailures', 'now fail'], ['noLongerMatched', 'no longer sent'], ['newlyMatched', 'newly sent'], ['changed', 'sent differently']];
function diffBlock(text) {
  return el('pre', { class: 'diff' }, text.split('\n').map((line) => el('span', {
    class: line.startsWith('+++') || line.startsWith('---') ? 'file' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('@@') ? 'hunk' : '',
  }, line + '\n')));
}
function renderPreview(p) {
  const touched = p.routes.filter((r) => r.status !== 'kept' || LISTS.some(([k]) => r.counts[k] > 0));
  const window = p.events + ' recorded event' + (p.events === 1 ? '' : 's');
  return [
    el('strong', { id: 'preview-summary' }, touched.length ? touched.length + ' route' + (touched.length === 1 ? '' : 's') + ' would change over the last ' + window : 'No change: every route sends the same requests for the last ' + window),
    p.complete ? null : el('div', { class: 'error' }, 'Incomplete: ' + p.stoppedBecause),
    p.reload.wouldApply ? null : el('div', { class: 'error' }, 'This file would not reload on the running server: ' + p.reload.refusal),
    p.reload.needsRestart.length ? el('div', { class: 'meta' }, 'After a reload, these apply only on restart: ' + p.reload.needsRestart.join(', ')) : null,
    p.warnings.length ? el('pre', {}, p.warnings.join('\n')) : null,
    touched.map((r) => el('div', { class: 'preview-route', 'data-route': r.route },
      el('div', { class: 'row' }, el('strong', {}, r.route), el('span', { class: 'meta' }, r.source + ' → ' + r.target),
        r.status !== 'kept' ? el('span', { class: 'badge ' + (r.status === 'added' ? 'succeeded' : 'dead') }, r.status) : null,
        LISTS.filter(([k]) => r.counts[k] > 0).map(([k, label]) => el('span', { class: 'badge ' + (k === 'newlyMatched' ? 'succeeded' : k === 'changed' ? 'pending' : 'dead') }, r.counts[k] + ' ' + label))),
      LISTS.filter(([k]) => r[k].length).map(([k, label]) => el('details', { open: '' }, el('summary', {}, r.counts[k] + ' ' + label + (r[k].length < r.counts[k] ? ' (first ' + r[k].length + ' shown)' : '')),
        r[k].map((e) => el('div', { class: 'call' },
          el('div', { class: 'meta' }, e.event + ' · ' + (e.topic || '(no topic)') + ' · ' + when(e.receivedAt)),
          k === 'changed' ? diffBlock(e.diff) : el('table', { class: 'kv' }, el('tr', {}, el('td', {}, 'live'), el('td', {}, e.before)), el('tr', {}, el('td', {}, 'edited'), el('td', {}, e.after))))))))),
  ];
}
$('preview-run').addEventListener('click', async () => {
  const button = $('preview-run');
  const out = $('preview-result');
  button.disabled = true;
  out.replaceChildren(el('div', { class: 'meta' }, 'Planning the recorded events…'));
  try {
    const token = sessionStorage.getItem('switchboard-admin-token');
    const res = await fetch('/admin/preview?limit=' + encodeURIComponent($('preview-limit').value || '500'), {
      method: 'POST', body: $('preview-text').value, headers: { 'Content-Type': 'application/yaml', ...(token ? { Authorization: 'Bearer ' + token } : {}) },
    });
    if (res.status === 401) { $('login').classList.add('show'); throw new Error('admin token required'); }
    const p = await res.json().catch(() => ({ error: 'HTTP ' + res.status }));
    if (!res.ok) out.replaceChildren(...[el('div', { class: 'error', id: 'preview-error' }, p.error || ('HTTP ' + res.status)), p.errors ? el('pre', { class: 'error' }, p.errors.join('\n')) : null].filter(Boolean));
    else out.replaceChildren(...renderPreview(p).flat(Infinity).filter(Boolean));
  } catch (err) {
    out.replaceChildren(el('div', { class: 'error' }, err.message));
  }
  button.disabled = false;
});

async function refresh() {
  try {
    await loadConfig();
    if (state.view === 'events') { await loadEvents(); if (state.selected) await renderDetail(); }
    if (state.view === 'rejections') await loadRejections();
    $('dot').classList.remove('off'); $('live').textContent = 'live';
  } catch (err) {
    $('dot').classList.add('off'); $('live').textContent = err.message;
  }
}

for (const b of document.querySelectorAll('nav button')) {
  b.addEventListener('click', () => {
    state.view = b.dataset.view;
    for (const x of document.querySelectorAll('nav button')) x.classList.toggle('active', x === b);
    for (const v of document.querySelectorAll('.view')) v.classList.toggle('active', v.id === 'view-' + state.view);
    refresh();
  });
}
for (const id of ['f-source', 'f-status']) $(id).addEventListener('change', refresh);
let typing;
$('f-topic').addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(refresh, 300); });
refresh();
setInterval(refresh, 2000);
