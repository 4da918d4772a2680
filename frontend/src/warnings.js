// The warnings panel: sign in, active warnings with live 叫应 progress, and for operators the
// proposals/drafts to review, edit, issue, update and cancel. Same-origin API calls only.
import { ApiError } from './api.js';
import { LEVEL_COLOURS, lang, t } from './i18n.js';

const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const POLL_MS = 4000;

const session = {
  token: sessionStorage.getItem('riskmap.token'),
  user: JSON.parse(sessionStorage.getItem('riskmap.user') || 'null'),
  active: [], drafts: [], reports: {}, timer: null, busy: false,
};
let hooks = { runId: () => null, onChange: () => {} };
window.riskmapWarnings = session; // for the browser tests

function isOperator() { return ['operator', 'admin'].includes(session.user?.role); }

async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (session.token) headers.Authorization = `Bearer ${session.token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (err) {
    throw new ApiError(0, t('apiDown'));
  }
  if (res.status === 401 && session.token) signOut();
  if (res.status === 204) return null;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data.detail || res.statusText);
  return data;
}

function say(text, bad = false) {
  const el = $('warn-status');
  el.textContent = text || '';
  el.className = bad ? 'warn-status bad' : 'warn-status';
}

async function signIn(ev) {
  ev.preventDefault();
  const form = new URLSearchParams({ username: $('login-user').value, password: $('login-pass').value });
  const res = await fetch('/api/auth/token', { method: 'POST', body: form }).catch(() => null);
  const data = res ? await res.json().catch(() => ({})) : {};
  if (!res || !res.ok) { say(res ? (data.detail || t('loginFailed')) : t('apiDown'), true); return; }
  session.token = data.access_token;
  session.user = { username: $('login-user').value, role: data.role };
  sessionStorage.setItem('riskmap.token', session.token);
  sessionStorage.setItem('riskmap.user', JSON.stringify(session.user));
  $('login-pass').value = '';
  say('');
  await refresh();
}

function signOut() {
  session.token = null; session.user = null;
  sessionStorage.removeItem('riskmap.token'); sessionStorage.removeItem('riskmap.user');
  render();
}

function badge(w) {
  return `<span class="badge" data-css-c="${LEVEL_COLOURS[w.level]}">${esc(t('levelShort')[w.level])}</span>`;
}

function places(w) { return w.townships.map((tw) => esc(tw.name)).join('、'); }

function bar(label, n, total, cls) {
  const pct = total ? Math.round((100 * n) / total) : 0;
  return `<div class="ackrow ${cls}"><span>${label}</span><span class="num">${n}/${total}</span>
    <span class="bar"><span data-css-w="${pct}"></span></span></div>`;
}

function progress(w) {
  const r = session.reports[w.id];
  if (!r) return session.user ? `<p class="muted">${t('loading')}</p>` : `<p class="muted">${t('signInToSee')}</p>`;
  const s = r.totals;
  return `<div class="progress" data-warning="${w.id}" data-acknowledged="${s.acknowledged}" data-recipients="${s.recipients}">
    ${bar(t('ackDelivered'), s.delivered, s.recipients, 'delivered')}
    ${bar(t('ackAcknowledged'), s.acknowledged, s.recipients, 'acknowledged')}
    <p class="muted">${t('ackCounts')(s)}</p></div>`;
}

function activeItem(w) {
  const ops = isOperator() ? `
    <div class="ops"><select data-update-level="${w.id}">${[4, 3, 2, 1].map((lv) =>
      `<option value="${lv}" ${lv === w.level ? 'selected' : ''}>${esc(t('levelShort')[lv])}</option>`).join('')}</select>
      <button type="button" data-act="update" data-id="${w.id}">${t('sendUpdate')}</button>
      <button type="button" class="danger" data-act="cancel" data-id="${w.id}">${t('cancelWarning')}</button></div>` : '';
  return `<li class="warning" data-id="${w.id}">${badge(w)} <b>${esc(w.headline)}</b>
    <div class="muted">${places(w)} · ${t('until')} ${esc(new Date(w.expires).toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai' }))}
      · <a href="/api/warnings/${w.id}/cap" target="_blank">CAP</a></div>
    ${progress(w)}${ops}</li>`;
}

function draftItem(w) {
  const local = (iso) => new Date(new Date(iso).getTime() + 8 * 3600e3).toISOString().slice(0, 16);
  return `<li class="draft" data-id="${w.id}">
    <div>${badge(w)} ${esc(t('hazards')[w.hazard])} · ${places(w)}</div>
    <label>${t('level')} <select data-field="level">${[4, 3, 2, 1].map((lv) =>
      `<option value="${lv}" ${lv === w.level ? 'selected' : ''}>${esc(t('levelShort')[lv])}</option>`).join('')}</select></label>
    <label>${t('headline')} <input data-field="headline" value="${esc(w.headline)}"></label>
    <label>${t('instruction')} <textarea data-field="instruction" rows="3">${esc(w.instruction)}</textarea></label>
    <label>${t('expires')} <input type="datetime-local" data-field="expires" value="${local(w.expires)}"></label>
    <div class="ops"><button type="button" data-act="save" data-id="${w.id}">${t('save')}</button>
      <button type="button" class="primary" data-act="issue" data-id="${w.id}">${t('issue')}</button>
      <button type="button" data-act="discard" data-id="${w.id}">${t('discard')}</button></div></li>`;
}

function render() {
  const signedIn = Boolean(session.user);
  $('login-form').hidden = signedIn;
  $('whoami').hidden = !signedIn;
  if (signedIn) $('whoami-name').textContent = `${session.user.username} (${t('roles')[session.user.role] || session.user.role})`;
  $('operator-tools').hidden = !isOperator();
  $('active-warnings').innerHTML = session.active.length
    ? session.active.map(activeItem).join('') : `<li class="muted">${t('noWarnings')}</li>`;
  $('draft-list').innerHTML = session.drafts.length
    ? session.drafts.map(draftItem).join('') : `<li class="muted">${t('noDrafts')}</li>`;
}

async function refresh() {
  try {
    session.active = await call('GET', '/api/warnings?active=true');
    session.drafts = isOperator() ? await call('GET', '/api/warnings?status=draft') : [];
    if (session.user) {
      const reports = await Promise.all(session.active.map((w) => call('GET', `/api/warnings/${w.id}/deliveries`).catch(() => null)));
      session.active.forEach((w, i) => { if (reports[i]) session.reports[w.id] = reports[i]; });
    }
  } catch (err) {
    say(err.message, true);
  }
  render();
}

function draftChanges(li) {
  const get = (f) => li.querySelector(`[data-field="${f}"]`).value;
  const expires = new Date(`${get('expires')}:00+08:00`).toISOString();
  return { level: Number(get('level')), headline: get('headline'), instruction: get('instruction'), expires };
}

async function act(ev) {
  const btn = ev.target.closest('button[data-act]');
  if (!btn || session.busy) return;
  const id = Number(btn.dataset.id);
  session.busy = true;
  btn.disabled = true;
  try {
    const li = btn.closest('li');
    if (btn.dataset.act === 'save') {
      await call('PATCH', `/api/warnings/${id}`, draftChanges(li)); say(t('saved'));
    } else if (btn.dataset.act === 'issue') {
      await call('PATCH', `/api/warnings/${id}`, draftChanges(li));
      const r = await call('POST', `/api/warnings/${id}/issue`);
      say(t('issued')(r.dissemination)); hooks.onChange();
    } else if (btn.dataset.act === 'discard') {
      await call('DELETE', `/api/warnings/${id}`); say(t('discarded'));
    } else if (btn.dataset.act === 'update') {
      const level = Number(document.querySelector(`[data-update-level="${id}"]`).value);
      const r = await call('POST', `/api/warnings/${id}/update`, { level });
      say(t('issued')(r.dissemination)); hooks.onChange();
    } else if (btn.dataset.act === 'cancel') {
      if (!window.confirm(t('confirmCancel'))) return;
      await call('POST', `/api/warnings/${id}/cancel`, {}); say(t('cancelled')); hooks.onChange();
    }
  } catch (err) {
    say(err.message, true);
  } finally {
    session.busy = false;
    btn.disabled = false;
    await refresh();
  }
}

async function propose() {
  const runId = hooks.runId();
  if (!runId) { say(t('noRun'), true); return; }
  try {
    const r = await call('POST', `/api/warnings?from_run=${runId}&min_level=${$('propose-level').value}`);
    say(t('proposed')(r.created.length, r.skipped.length));
  } catch (err) { say(err.message, true); }
  await refresh();
}

export function renderWarningsStatic() {
  $('propose-level').innerHTML = [2, 3, 4, 1].map((lv) => `<option value="${lv}">${esc(t('levelShort')[lv])} ${t('andAbove')}</option>`).join('');
  render();
}

export function startWarnings(options) {
  hooks = { ...hooks, ...options };
  $('login-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', signOut);
  $('propose').addEventListener('click', propose);
  $('warnings-section').addEventListener('click', act);
  renderWarningsStatic();
  refresh();
  session.timer = setInterval(() => { if (!session.busy && !document.hidden) refresh(); }, POLL_MS);
}
