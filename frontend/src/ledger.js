// The 叫应 ledger: per warning, per township and per person — sent, delivered, acknowledged,
// overdue, escalated — with name, role and phone (a tel: link, for the roles that may see it),
// sortable, those who have not acknowledged first; CSV (UTF-8 with BOM, from the server) and print.
import { api } from './api.js';
import { lang, t } from './i18n.js';
import { store } from './store.js';
import { esc } from './widgets.js';
import { openWorkspace, workspaceShows } from './workspace.js';

const $ = (id) => document.getElementById(id);
const fmt = (n) => Number(n || 0).toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-US');
const RANK = ['escalated', 'overdue', 'failed', 'pending', 'sent', 'delivered', 'acknowledged'];
const POLL_MS = 10000;

const ledger = { warnings: [], id: null, report: null, sort: { key: 'state', dir: 1 }, township: '', timer: null };
window.riskmapLedger = ledger; // for the browser tests

export function stateOf(p) {
  if (p.acked_at) return 'acknowledged';
  if (p.escalated_at) return 'escalated';
  if (p.overdue) return 'overdue';
  if (p.status === 'failed') return 'failed';
  if (p.delivered_at) return 'delivered';
  if (p.sent_at) return 'sent';
  return 'pending';
}

function time(iso) {
  if (!iso) return '';
  return new Date(iso).toLocaleTimeString(lang() === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', hour: '2-digit', minute: '2-digit', hour12: false });
}

const COLUMNS = [
  ['state', (p) => RANK.indexOf(p.state)],
  ['township', (p) => p.township || ''],
  ['village', (p) => p.village || ''],
  ['name', (p) => p.name || ''],
  ['role', (p) => p.role || ''],
  ['phone', (p) => p.phone || ''],
  ['sent_at', (p) => p.sent_at || ''],
  ['acked_at', (p) => p.acked_at || '~'],
];

function sorted(persons) {
  const { key, dir } = ledger.sort;
  const get = COLUMNS.find((c) => c[0] === key)[1];
  const rank = (p) => RANK.indexOf(p.state);
  return [...persons].sort((a, b) => {
    const x = get(a); const y = get(b);
    const c = typeof x === 'number' ? x - y : String(x).localeCompare(String(y), lang() === 'zh' ? 'zh-CN' : 'en');
    return c * dir || rank(a) - rank(b) || (a.township_code || '').localeCompare(b.township_code || '');
  });
}

function phoneCell(p) {
  if (!p.phone) return `<span class="muted">${store.hasRole('operator') ? '—' : t('phoneHidden')}</span>`;
  return `<a class="tel" href="tel:${esc(p.phone.replace(/[^0-9+]/g, ''))}">${esc(p.phone)}</a>`;
}

function townsHtml(r) {
  const head = ['recipients', 'delivered', 'acknowledged', 'overdue', 'escalated'];
  return `<table class="ledger-towns"><thead><tr><th>${t('township')}</th>${head.map((k) => `<th class="num">${t('ledgerCounts')[k]}</th>`).join('')}
      <th>${t('ackRate')}</th></tr></thead><tbody>${r.townships.map((tw) => `<tr data-township="${tw.code}" class="${ledger.township === tw.code ? 'chosen' : ''}">
      <td><button type="button" class="linkish" data-town="${tw.code}">${esc(tw.name)}</button></td>
      ${head.map((k) => `<td class="num ${k}">${fmt(tw[k])}</td>`).join('')}
      <td><rm-bar value="${tw.acknowledged}" max="${tw.recipients}"></rm-bar> ${Math.round(100 * (tw.ack_rate || 0))}%</td></tr>`).join('')}</tbody></table>`;
}

function personsHtml(r) {
  const rows = sorted(r.persons.map((p) => ({ ...p, state: stateOf(p) })).filter((p) => !ledger.township || p.township_code === ledger.township));
  const th = COLUMNS.map(([key]) => {
    const on = ledger.sort.key === key;
    return `<th><button type="button" class="sort${on ? ' on' : ''}" data-sort="${key}" aria-sort="${on ? (ledger.sort.dir > 0 ? 'ascending' : 'descending') : 'none'}">
      ${t('ledgerColumns')[key]}${on ? (ledger.sort.dir > 0 ? ' ▲' : ' ▼') : ''}</button></th>`;
  }).join('');
  const label = (key) => `${t('ledgerColumns')[key]}${lang() === 'zh' ? '：' : ': '}`;
  const body = rows.map((p) => `<tr class="person ${p.state}" data-state="${p.state}" data-code="${esc(p.code)}">
      <td data-label="${label('state')}"><span class="state ${p.state}">${t('ledgerStates')[p.state]}</span>${p.resent_at && !p.acked_at ? ` <small class="muted">${t('resent')}</small>` : ''}</td>
      <td data-label="${label('township')}">${esc(p.township)}</td>
      <td data-label="${label('village')}">${esc(p.village || '')}</td>
      <td data-label="${label('name')}" class="keep"><b>${esc(p.name)}</b></td>
      <td data-label="${label('role')}">${esc(p.title || t('recipientRoles')[p.role] || p.role)}</td>
      <td data-label="${label('phone')}" class="keep">${phoneCell(p)}</td>
      <td data-label="${label('sent_at')}" class="num">${time(p.sent_at)}</td>
      <td data-label="${label('acked_at')}" class="num">${time(p.acked_at)}</td></tr>`).join('');
  return `<table class="ledger-persons"><thead><tr>${th}</tr></thead><tbody>${body}</tbody></table>`;
}

function render() {
  const el = $('ws-body');
  if (!workspaceShows('ledger')) return;
  const r = ledger.report;
  const w = ledger.warnings.find((x) => x.id === ledger.id);
  const options = ledger.warnings.map((x) => `<option value="${x.id}" ${x.id === ledger.id ? 'selected' : ''}>
      #${x.id} ${esc(t('levelShort')[x.level])} ${esc(x.headline)}${x.active ? '' : ` (${t('statusNames')[x.status] || x.status})`}</option>`).join('');
  const tools = `<div class="ledger-tools ops"><label>${t('warningWord')} <select id="ledger-warning">${options}</select></label>
      ${r ? `<a class="button" id="ledger-csv" href="/api/warnings/${r.warning_id}/deliveries.csv" download>${t('csv')}</a>
      <button type="button" id="ledger-print">${t('print')}</button>` : ''}
      <label class="sort-by">${t('sortBy')} <select id="ledger-sort">${COLUMNS.map(([key]) => `<option value="${key}"
        ${ledger.sort.key === key ? 'selected' : ''}>${t('ledgerColumns')[key]}</option>`).join('')}</select></label>
      ${ledger.township ? `<button type="button" id="ledger-all">${t('allTownships')}</button>` : ''}</div>`;
  if (!ledger.warnings.length) { el.innerHTML = `<p class="muted">${t('noWarningsToTrack')}</p>`; return; }
  if (!r) { el.innerHTML = `${tools}<p class="muted">${t('loading')}</p>`; return; }
  const s = r.totals;
  el.innerHTML = `${tools}
    <h3 class="print-title">${esc(w?.headline || '')}</h3>
    <p class="ledger-summary" data-recipients="${s.recipients}" data-acknowledged="${s.acknowledged}">${t('ackCounts')(s)}
      ${r.deadline ? ` · ${t('deadline')} ${time(r.deadline)}` : ''} · ${t('asOfTime')} ${time(r.as_of)}</p>
    ${townsHtml(r)}${personsHtml(r)}`;
  el.querySelector('#ledger-warning')?.addEventListener('change', (e) => { ledger.id = Number(e.target.value); ledger.township = ''; load(); });
  el.querySelector('#ledger-print')?.addEventListener('click', () => window.print());
  el.querySelector('#ledger-sort')?.addEventListener('change', (e) => { ledger.sort = { key: e.target.value, dir: 1 }; render(); });
  el.querySelector('#ledger-all')?.addEventListener('click', () => { ledger.township = ''; render(); });
  el.querySelectorAll('button[data-sort]').forEach((b) => b.addEventListener('click', () => {
    const key = b.dataset.sort;
    ledger.sort = { key, dir: ledger.sort.key === key ? -ledger.sort.dir : 1 };
    render();
  }));
  el.querySelectorAll('button[data-town]').forEach((b) => b.addEventListener('click', () => {
    ledger.township = ledger.township === b.dataset.town ? '' : b.dataset.town; render();
  }));
}

async function load() {
  if (!ledger.id) { render(); return; }
  try {
    ledger.report = await api('GET', `/api/warnings/${ledger.id}/deliveries`);
  } catch (err) {
    $('ws-body').innerHTML = `<p class="warn-status bad">${esc(err.message)}</p>`;
    return;
  }
  render();
}

export async function openLedger(warningId = null) {
  openWorkspace('ledger', t('ledgerTitle'));
  $('ws-body').innerHTML = `<p class="muted">${t('loading')}</p>`;
  try {
    const all = await api('GET', '/api/warnings?limit=100');
    ledger.warnings = all.filter((w) => w.status !== 'draft' && w.issued_at).sort((a, b) => (b.active - a.active) || b.id - a.id);
  } catch (err) {
    $('ws-body').innerHTML = `<p class="warn-status bad">${esc(err.message)}</p>`;
    return;
  }
  ledger.id = warningId || ledger.warnings[0]?.id || null;
  ledger.report = null;
  await load();
  clearInterval(ledger.timer);
  ledger.timer = setInterval(() => {
    if (!workspaceShows('ledger')) { clearInterval(ledger.timer); return; }
    if (!document.hidden) load();
  }, POLL_MS);
}

export function startLedger() {
  $('open-ledger').addEventListener('click', () => openLedger());
  store.on('lang', () => { if (workspaceShows('ledger')) { $('ws-title').textContent = t('ledgerTitle'); render(); } });
}
