// The admin page: users (add; role, scope, disable), responsible persons (add, edit; bulk upload
// through the importer, POST /api/import/recipients), and the audit log (filter by who, what, when;
// export as CSV). Admins only; every change goes through the API and into the audit log.
import { ApiError, api } from './api.js';
import { lang, t } from './i18n.js';
import { store } from './store.js';
import { esc } from './widgets.js';
import { openWorkspace, workspaceShows } from './workspace.js';

const $ = (id) => document.getElementById(id);
const S = store.state;
const ROLES = ['viewer', 'operator', 'admin'];
const RECIPIENT_ROLES = ['county_duty', 'township_leader', 'village_head', 'grid_worker', 'monitor'];
const admin = { tab: 'users', users: [], recipients: [], audit: null, filters: {}, town: '', editing: null };
window.riskmapAdmin = admin; // for the browser tests

function say(text, bad = false) {
  const el = $('admin-status');
  if (!el) return;
  el.textContent = text || '';
  el.className = bad ? 'warn-status bad' : 'warn-status';
}
const fail = (err) => say(err instanceof ApiError ? err.message : String(err), true);

function townOptions(selected, blank) {
  return `<option value="">${blank}</option>${(S.risk?.townships || []).slice().sort((a, b) => a.code.localeCompare(b.code))
    .map((tw) => `<option value="${tw.code}" ${tw.code === selected ? 'selected' : ''}>${esc(tw.name)}</option>`).join('')}`;
}
const townName = (code) => S.risk?.townships.find((x) => x.code === code)?.name || code || '';

function when(iso) {
  return new Date(iso).toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', hour12: false });
}

// ---- users ------------------------------------------------------------------------------------------

function usersHtml() {
  const rows = admin.users.map((u) => `<tr data-user="${esc(u.username)}" class="${u.active ? '' : 'inactive'}">
    <td><b>${esc(u.username)}</b></td>
    <td><select data-field="role">${ROLES.map((r) => `<option value="${r}" ${u.role === r ? 'selected' : ''}>${t('roles')[r]}</option>`).join('')}</select></td>
    <td><select data-field="scope">${townOptions(u.scope, t('wholeCounty'))}</select></td>
    <td><label class="inline"><input type="checkbox" data-field="active" ${u.active ? 'checked' : ''}> ${t('activeWord')}</label></td></tr>`).join('');
  return `<form id="user-add" class="admin-add"><h3>${t('addUser')}</h3>
      <input name="username" required minlength="2" maxlength="64" pattern="[A-Za-z0-9_.@\\-]+" placeholder="${t('username')}">
      <input name="password" type="password" required minlength="8" autocomplete="new-password" placeholder="${t('password')}">
      <select name="role">${ROLES.map((r) => `<option value="${r}">${t('roles')[r]}</option>`).join('')}</select>
      <select name="scope">${townOptions('', t('wholeCounty'))}</select>
      <button type="submit" class="primary">${t('add')}</button></form>
    <table class="admin-table users"><thead><tr><th>${t('username')}</th><th>${t('roleWord')}</th><th>${t('scopeWord')}</th><th>${t('statusWord')}</th></tr></thead>
    <tbody>${rows}</tbody></table>`;
}

async function loadUsers() { admin.users = await api('GET', '/api/users'); }

function bindUsers(el) {
  el.querySelector('#user-add').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const body = { username: f.get('username'), password: f.get('password'), role: f.get('role') };
    if (f.get('scope')) body.scope = f.get('scope');
    try {
      await api('POST', '/api/users', body);
      await loadUsers(); render(); say(t('userAdded')(body.username));
    } catch (err) { fail(err); }
  });
  el.querySelectorAll('tr[data-user] [data-field]').forEach((input) => input.addEventListener('change', async () => {
    const name = input.closest('tr').dataset.user;
    const field = input.dataset.field;
    const value = field === 'active' ? input.checked : input.value;
    try {
      await api('PATCH', `/api/users/${encodeURIComponent(name)}`, { [field]: value });
      await loadUsers(); render();
      say(field === 'active' ? t(value ? 'userEnabled' : 'userDisabled')(name) : t('saved'));
    } catch (err) { fail(err); await loadUsers(); render(); }
  }));
}

// ---- responsible persons ------------------------------------------------------------------------------

const R_FIELDS = ['name', 'role', 'title', 'township_code', 'village_code', 'phone', 'email'];

function recipientRow(r) {
  if (admin.editing === r.code) {
    const input = (k, extra = '') => `<input data-field="${k}" value="${esc(r[k] || '')}" ${extra}>`;
    return `<tr data-code="${esc(r.code)}" class="editing"><td>${esc(r.code)}</td><td>${input('name', 'required')}</td>
      <td><select data-field="role">${RECIPIENT_ROLES.map((x) => `<option value="${x}" ${r.role === x ? 'selected' : ''}>${t('recipientRoles')[x]}</option>`).join('')}</select></td>
      <td>${input('title')}</td><td><select data-field="township_code">${townOptions(r.township_code, '—')}</select></td>
      <td>${input('village_code', 'pattern="\\d{12}"')}</td><td>${input('phone')}</td><td>${input('email')}</td>
      <td><label class="inline"><input type="checkbox" data-field="active" ${r.active ? 'checked' : ''}></label></td>
      <td><button type="button" class="primary" data-act="save">${t('save')}</button> <button type="button" data-act="cancel">${t('cancelEdit')}</button></td></tr>`;
  }
  return `<tr data-code="${esc(r.code)}" class="${r.active ? '' : 'inactive'}"><td>${esc(r.code)}</td><td class="keep"><b>${esc(r.name)}</b></td>
    <td>${t('recipientRoles')[r.role] || esc(r.role)}</td><td>${esc(r.title || '')}</td><td>${esc(townName(r.township_code))}</td>
    <td>${esc(r.village_code || '')}</td><td class="keep">${esc(r.phone || '')}</td><td>${esc(r.email || '')}</td>
    <td>${r.active ? '✔' : '—'}</td><td><button type="button" data-act="edit">${t('edit')}</button></td></tr>`;
}

function recipientsHtml() {
  return `<div class="ops"><label>${t('township')} <select id="recipient-town">${townOptions(admin.town, t('chooseTownship'))}</select></label></div>
    <form id="recipient-add" class="admin-add"><h3>${t('addRecipient')}</h3>
      <input name="code" required maxlength="32" placeholder="${t('codeWord')}">
      <input name="name" required maxlength="100" placeholder="${t('nameWord')}">
      <select name="role">${RECIPIENT_ROLES.map((x) => `<option value="${x}">${t('recipientRoles')[x]}</option>`).join('')}</select>
      <input name="title" maxlength="100" placeholder="${t('titleWord')}">
      <select name="township_code">${townOptions(admin.town, t('township'))}</select>
      <input name="village_code" pattern="\\d{12}" placeholder="${t('villageCode')}">
      <input name="phone" maxlength="32" placeholder="${t('phoneWord')}">
      <input name="email" maxlength="200" placeholder="${t('emailWord')}">
      <button type="submit" class="primary">${t('add')}</button></form>
    <form id="recipient-import" class="admin-add"><h3>${t('bulkUpload')}</h3>
      <input type="file" name="file" accept=".csv,.xlsx" required>
      <label class="inline"><input type="checkbox" name="dry_run" checked> ${t('dryRun')}</label>
      <button type="submit">${t('upload')}</button>
      <a href="/api/import/templates/recipients.csv" download>${t('template')}</a></form>
    ${admin.town ? `<table class="admin-table recipients"><thead><tr><th>${t('codeWord')}</th><th>${t('nameWord')}</th><th>${t('roleWord')}</th>
      <th>${t('titleWord')}</th><th>${t('township')}</th><th>${t('villageCode')}</th><th>${t('phoneWord')}</th><th>${t('emailWord')}</th>
      <th>${t('activeWord')}</th><th></th></tr></thead><tbody>${admin.recipients.map(recipientRow).join('')}</tbody></table>`
    : `<p class="muted">${t('chooseTownshipFirst')}</p>`}`;
}

async function loadRecipients() {
  admin.recipients = admin.town ? await api('GET', `/api/recipients?township=${admin.town}`) : [];
}

function bindRecipients(el) {
  el.querySelector('#recipient-town').addEventListener('change', async (e) => {
    admin.town = e.target.value; admin.editing = null;
    try { await loadRecipients(); } catch (err) { fail(err); }
    render();
  });
  el.querySelector('#recipient-add').addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = Object.fromEntries([...new FormData(e.target)].filter(([, v]) => v !== ''));
    try {
      await api('POST', '/api/recipients', body);
      admin.town = body.township_code || admin.town;
      await loadRecipients(); render(); say(t('recipientAdded')(body.name));
    } catch (err) { fail(err); }
  });
  el.querySelector('#recipient-import').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    f.set('dry_run', e.target.dry_run.checked ? 'true' : 'false');
    try {
      const report = await api('POST', '/api/import/recipients', f);
      say(t('importDone')(report));
      await loadRecipients(); render();
    } catch (err) {
      if (err.status === 404 || err.status === 405) say(t('importerMissing'), true); else fail(err);
    }
  });
  el.querySelectorAll('tr[data-code] button[data-act]').forEach((b) => b.addEventListener('click', async () => {
    const tr = b.closest('tr');
    const code = tr.dataset.code;
    if (b.dataset.act === 'edit') { admin.editing = code; render(); return; }
    if (b.dataset.act === 'cancel') { admin.editing = null; render(); return; }
    const body = {};
    for (const k of R_FIELDS) {
      const input = tr.querySelector(`[data-field="${k}"]`);
      if (input) body[k] = input.value === '' ? null : input.value;
    }
    body.active = tr.querySelector('[data-field="active"]').checked;
    if (!body.name) delete body.name;
    try {
      await api('PATCH', `/api/recipients/${encodeURIComponent(code)}`, body);
      admin.editing = null; await loadRecipients(); render(); say(t('saved'));
    } catch (err) { fail(err); }
  }));
}

// ---- audit log ---------------------------------------------------------------------------------------

function auditQuery() {
  const q = new URLSearchParams();
  const f = admin.filters;
  if (f.who) q.set('who', f.who);
  if (f.what) q.set('what', f.what);
  if (f.since) q.set('since', `${f.since}:00+08:00`);
  if (f.until) q.set('until', `${f.until}:00+08:00`);
  return q;
}

function compact(v) {
  if (v === null || v === undefined) return '';
  const text = JSON.stringify(v);
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

function auditHtml() {
  const f = admin.filters;
  const a = admin.audit;
  const rows = (a?.entries || []).map((e) => `<tr data-action="${esc(e.action)}"><td class="keep">${esc(when(e.at))}</td><td>${esc(e.who)}</td>
    <td>${esc(t('auditActions')[e.action] || e.action)}</td><td>${esc(e.entity)} ${esc(e.entity_id || '')}</td>
    <td class="json">${esc(compact(e.before))}</td><td class="json">${esc(compact(e.after))}</td></tr>`).join('');
  return `<form id="audit-filter" class="admin-add">
      <input name="who" value="${esc(f.who || '')}" placeholder="${t('auditWho')}">
      <input name="what" value="${esc(f.what || '')}" placeholder="${t('auditWhat')}">
      <label>${t('auditSince')} <input name="since" type="datetime-local" value="${esc(f.since || '')}"></label>
      <label>${t('auditUntil')} <input name="until" type="datetime-local" value="${esc(f.until || '')}"></label>
      <button type="submit" class="primary">${t('filter')}</button>
      <a class="button" id="audit-csv" href="/api/audit.csv?${auditQuery()}" download>${t('csv')}</a></form>
    <p class="muted" id="audit-total">${a ? t('auditTotal')(a.total, a.entries.length) : t('loading')}</p>
    <table class="admin-table audit"><thead><tr><th>${t('auditAt')}</th><th>${t('auditWho')}</th><th>${t('auditAction')}</th>
      <th>${t('auditEntity')}</th><th>${t('auditBefore')}</th><th>${t('auditAfter')}</th></tr></thead><tbody>${rows}</tbody></table>`;
}

async function loadAudit() { admin.audit = await api('GET', `/api/audit?${auditQuery()}&limit=200`); }

function bindAudit(el) {
  el.querySelector('#audit-filter').addEventListener('submit', async (e) => {
    e.preventDefault();
    admin.filters = Object.fromEntries(new FormData(e.target));
    try { await loadAudit(); render(); } catch (err) { fail(err); }
  });
}

// ---- the page -------------------------------------------------------------------------------------------

const TABS = { users: [usersHtml, bindUsers, loadUsers], recipients: [recipientsHtml, bindRecipients, loadRecipients], audit: [auditHtml, bindAudit, loadAudit] };

function render() {
  if (!workspaceShows('admin')) return;
  const el = $('ws-body');
  const status = $('admin-status');
  const keep = status ? [status.textContent, status.className] : ['', 'warn-status'];
  const [html, bind] = TABS[admin.tab];
  el.innerHTML = `<nav class="tabs" role="tablist">${Object.keys(TABS).map((k) => `<button type="button" role="tab" data-tab="${k}"
      aria-selected="${admin.tab === k}" class="${admin.tab === k ? 'on' : ''}">${t('adminTabs')[k]}</button>`).join('')}</nav>
    <p id="admin-status" class="${keep[1]}" role="status">${esc(keep[0])}</p><div class="tab-body">${html()}</div>`;
  el.querySelectorAll('button[data-tab]').forEach((b) => b.addEventListener('click', () => showTab(b.dataset.tab)));
  bind(el);
}

async function showTab(tab) {
  admin.tab = tab;
  say('');
  try { await TABS[tab][2](); } catch (err) { render(); fail(err); return; }
  render();
}

export async function openAdmin(tab = 'users') {
  openWorkspace('admin', t('adminTitle'));
  await showTab(tab);
}

export function startAdmin() {
  $('open-admin').addEventListener('click', () => openAdmin());
  store.on('lang', () => { if (workspaceShows('admin')) { $('ws-title').textContent = t('adminTitle'); render(); } });
}
