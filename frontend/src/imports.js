// The admin's 数据/Data panel: upload a county's own file (villages, shelters, roads …), read the
// import report row by row, download templates, and see what of the county is loaded and missing.
// It appears for signed-in admins only; same-origin API calls (POST /api/import/{kind}).
import { lang, t } from './i18n.js';

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const SHOWN = 200; // report rows shown; the rest are counted

const state = { kinds: [], report: null, summary: null, busy: false, error: null };
window.riskmapImports = state; // for the browser tests

function user() {
  try { return JSON.parse(sessionStorage.getItem('riskmap.user') || 'null'); } catch { return null; }
}
function token() { return sessionStorage.getItem('riskmap.token'); }
function isAdmin() { return user()?.role === 'admin' && Boolean(token()); }
function tr() { return t('imports'); }

async function call(method, path, body) {
  const headers = { Accept: 'application/json', Authorization: `Bearer ${token()}` };
  let res;
  try {
    res = await fetch(path, { method, headers, body });
  } catch {
    throw new Error(t('apiDown'));
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(data.detail || res.statusText);
    err.report = data.report || null;
    throw err;
  }
  return data;
}

function section() {
  let el = $('data-section');
  if (el) return el;
  el = document.createElement('section');
  el.id = 'data-section';
  el.hidden = true;
  const after = $('warnings-section');
  if (after) after.after(el); else $('side').prepend(el);
  return el;
}

function kindName(k) { return lang() === 'zh' ? `${k.zh} ${k.kind}` : `${k.en} (${k.kind})`; }

function renderForm() {
  const s = tr();
  const kinds = state.kinds.map((k) => `<option value="${esc(k.kind)}">${esc(kindName(k))}</option>`).join('');
  section().innerHTML = `
    <h2>${s.title}</h2>
    <form id="import-form" class="import-form">
      <label>${s.kind} <select id="import-kind">${kinds}</select></label>
      <input id="import-file" type="file" required
        accept=".gpkg,.zip,.geojson,.json,.csv,.txt,.xlsx,.pbf">
      <details><summary>${s.options}</summary>
        <label>${s.coords} <select id="import-coords">
          <option value="wgs84">WGS84 / CGCS2000</option><option value="gcj02">${s.gcj02}</option>
          <option value="bd09">${s.bd09}</option></select></label>
        <label>${s.crs} <input id="import-crs" placeholder="EPSG:4547"></label>
        <label>${s.sheet} <input id="import-sheet"></label>
        <label>${s.encoding} <input id="import-encoding" placeholder="GBK"></label>
        <label>${s.map} <textarea id="import-map" rows="2" placeholder="村名=name"></textarea></label>
        <label class="check"><input type="checkbox" id="import-skip"> ${s.skip}</label>
      </details>
      <label class="check"><input type="checkbox" id="import-dry" checked> ${s.dryRun}</label>
      <div class="ops"><button type="submit" class="primary" id="import-submit">${s.upload}</button>
        <button type="button" id="import-template">${s.template}</button></div>
    </form>
    <div id="import-report" class="import-report" role="status"></div>
    <h3>${s.loaded}</h3><div id="county-status" class="muted">${t('loading')}</div>`;
  $('import-form').addEventListener('submit', upload);
  $('import-template').addEventListener('click', template);
  renderReport();
  renderSummary();
}

function problems(title, rows, cls) {
  if (!rows?.length) return '';
  const s = tr();
  const body = rows.slice(0, SHOWN).map((p) => `<tr><td>${esc(p.where)}</td><td>${esc(p.field)}</td>
    <td>${esc(p.value)}</td><td>${esc(p.reason)}</td></tr>`).join('');
  const more = rows.length > SHOWN ? `<p class="muted">${s.more(rows.length - SHOWN)}</p>` : '';
  return `<h4 class="${cls}">${title} (${rows.length})</h4>
    <table class="problems ${cls}"><thead><tr><th>${s.where}</th><th>${s.field}</th><th>${s.value}</th>
    <th>${s.reason}</th></tr></thead><tbody>${body}</tbody></table>${more}`;
}

function renderReport() {
  const el = $('import-report');
  if (!el) return;
  const s = tr();
  if (state.error && !state.report) { el.innerHTML = `<p class="bad">${esc(state.error)}</p>`; return; }
  const r = state.report;
  if (!r) { el.innerHTML = ''; return; }
  const c = r.changes || {};
  const graph = r.graph ? `<p class="muted">${s.graph(r.graph)}</p>` : '';
  el.dataset.status = r.status;
  el.innerHTML = `<p class="status ${r.status}"><b>${s.status[r.status] || r.status}</b> · ${esc(r.file)}
      (${esc(r.format)}${r.crs ? `, ${esc(r.crs)}` : ''})</p>
    <p>${s.rows(r.rows, r.valid, r.rejected)}</p>
    <p>${s.changes(c, r.written)}</p>${graph}
    ${problems(s.errors, r.errors, 'bad')}${problems(s.warnings, r.warnings, 'warn')}
    ${r.notes?.length ? `<ul class="notes">${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : ''}`;
}

function renderSummary() {
  const el = $('county-status');
  if (!el) return;
  const m = state.summary;
  if (!m) return;
  const s = tr();
  const loaded = Object.entries(m.loaded).map(([k, n]) => `<li><span>${esc(s.tables[k] || k)}</span>
    <b class="num">${Number(n).toLocaleString()}</b></li>`).join('');
  const gaps = Object.entries(m.missing).map(([k, v]) => [k, typeof v === 'object' ? v.count : v])
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `<li class="warn"><span>${esc(s.missing[k] || k)}</span><b class="num">${n}</b></li>`).join('');
  el.classList.remove('muted');
  el.innerHTML = `<p>${esc(m.county.name || s.noCounty)} ${esc(m.county.code || '')}</p>
    <ul class="county-counts">${loaded}${gaps}</ul>`;
}

async function refreshSummary() {
  try { state.summary = await call('GET', '/api/import/summary'); } catch { state.summary = null; }
  renderSummary();
}

async function upload(ev) {
  ev.preventDefault();
  if (state.busy) return;
  const file = $('import-file').files[0];
  if (!file) return;
  const form = new FormData();
  form.append('file', file, file.name);
  form.append('dry_run', $('import-dry').checked ? 'true' : 'false');
  form.append('skip_rejected', $('import-skip').checked ? 'true' : 'false');
  form.append('coords', $('import-coords').value);
  for (const [id, key] of [['import-crs', 'crs'], ['import-sheet', 'sheet'], ['import-encoding', 'encoding']]) {
    if ($(id).value.trim()) form.append(key, $(id).value.trim());
  }
  for (const line of $('import-map').value.split(/\n/)) if (line.trim()) form.append('map', line.trim());
  state.busy = true; state.error = null;
  $('import-submit').disabled = true;
  $('import-report').innerHTML = `<p class="muted">${t('loading')}</p>`;
  try {
    state.report = await call('POST', `/api/import/${encodeURIComponent($('import-kind').value)}`, form);
  } catch (err) {
    state.report = err.report; state.error = err.message;
  } finally {
    state.busy = false;
    $('import-submit').disabled = false;
  }
  renderReport();
  if (state.report?.written) refreshSummary();
}

async function template() {
  const kind = $('import-kind').value;
  const res = await fetch(`/api/import/templates/${kind}.xlsx`, { headers: { Authorization: `Bearer ${token()}` } })
    .catch(() => null);
  if (!res || !res.ok) { state.error = t('apiDown'); renderReport(); return; }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url; a.download = `riskmap-${kind}.xlsx`;
  document.body.append(a); a.click(); a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

let shownFor = null; // the admin the panel was drawn for

async function show() {
  const el = section();
  const admin = isAdmin();
  el.hidden = !admin;
  const who = admin ? user().username : null;
  if (who === shownFor) return; // the warnings panel re-renders often: redraw only on a change
  shownFor = who;
  if (!admin) { state.report = null; state.summary = null; return; }
  if (!state.kinds.length) {
    try { state.kinds = await call('GET', '/api/import/kinds'); } catch (err) { state.error = err.message; }
  }
  renderForm();
  refreshSummary();
}

export function startImports() {
  section();
  // the warnings panel signs people in and out: follow it
  const who = $('whoami');
  if (who) new MutationObserver(() => show()).observe(who, { attributes: true, attributeFilter: ['hidden'] });
  $('lang-toggle')?.addEventListener('click', () => setTimeout(() => { if (isAdmin()) renderForm(); }, 0));
  show();
}

startImports();
