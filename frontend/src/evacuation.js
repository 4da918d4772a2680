// Evacuation on the page: the current run's latest plan (totals, what changed against the previous
// plan, shelters' planned fill, per-township sheets to open and print), and for operators a new
// plan from the options a person changes (who moves at each level; the fleet's buses and seats).
// Routes are drawn by the map (main.js) from the plan's id; clicking one shows village → shelter.
import { ApiError, api, getJSON } from './api.js';
import { lang, t } from './i18n.js';
import { store } from './store.js';
import { esc } from './widgets.js';

const S = store.state;
const $ = (id) => document.getElementById(id);
const fmt = (n) => Number(n || 0).toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-US');
let defaults = null;
let busy = false;

export async function loadPlan(runId, planId = null) {
  S.planId = null; S.plan = null; S.planned = {}; S.changes = null;
  if (!runId) return;
  let id = planId;
  if (!id) {
    const plans = await getJSON(`/api/evacuation/plans?run=${runId}&limit=1`).catch(() => []);
    if (!plans.length) return;
    id = plans[0].id;
  }
  S.plan = await getJSON(`/api/evacuation/plans/${id}`);
  S.planId = S.plan.id;
  S.changes = await getJSON(`/api/evacuation/plans/${S.planId}/changes`).catch(() => null);
  for (const a of S.plan.assignments) S.planned[a.shelter_code] = (S.planned[a.shelter_code] || 0) + a.persons;
}

function townships(plan) {
  const out = new Map();
  for (const r of [...plan.assignments, ...plan.unserved]) {
    const tw = out.get(r.township_code) || { code: r.township_code, name: r.township, persons: 0, unserved: 0 };
    tw.persons += r.persons;
    if (!r.shelter_code) tw.unserved += r.persons;
    out.set(r.township_code, tw);
  }
  return [...out.values()].sort((a, b) => b.persons - a.persons);
}

function changesHtml() {
  const ch = S.changes;
  if (!ch || !ch.against) return `<p class="muted" data-changes="none">${t('noPreviousPlan')}</p>`;
  if (!ch.villages.length) return `<p class="muted" data-changes="0">${t('noChanges')}</p>`;
  const delta = ['people_to_move', 'assigned', 'unserved', 'trips'].filter((k) => ch.totals[k] !== undefined)
    .map((k) => `${t('totalsNames')[k]} ${ch.totals[k] > 0 ? '+' : ''}${fmt(ch.totals[k])}`).join(' · ');
  const where = (to) => Object.entries(to).map(([code, v]) => `${code === 'unserved' ? t('unservedWord') : code} ${fmt(v.persons)}`).join('，') || '—';
  return `<p data-changes="${ch.villages.length}">${t('changes')(ch.villages.length, ch.against)}${delta ? `：${delta}` : ''}</p>
    <ul class="changes">${ch.villages.slice(0, 8).map((v) => `<li>${esc(v.township)} · ${esc(v.village)}:
      <span class="muted">${esc(where(v.before))} → ${esc(where(v.after))}</span></li>`).join('')}</ul>`;
}

function fillHtml() {
  const sh = S.shelterInfo || {};
  const rows = Object.entries(S.planned).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([code, n]) => {
    const s = sh[code];
    const cap = s?.capacity || 0;
    const after = (s?.occupancy || 0) + n;
    return `<li data-shelter="${esc(code)}"><span class="name">${esc(s?.name || code)}</span>
      <span class="num">+${fmt(n)} → ${fmt(after)} / ${fmt(cap)}</span><rm-bar value="${after}" max="${cap}"></rm-bar></li>`;
  }).join('');
  return rows ? `<h3>${t('plannedFill')}</h3><ul class="shelter-list fill">${rows}</ul>` : '';
}

function formHtml() {
  const o = defaults || { policy: { 4: 'all', 3: 'vulnerable' }, fleet: { buses: 10, seats: 45 } };
  const cur = S.plan?.options || o;
  const rule = (lv) => cur.policy?.[lv] || cur.policy?.[String(lv)] || 'none';
  const choice = (lv) => `<label>${t('levelShort')[lv]} <select data-policy="${lv}">${['none', 'vulnerable', 'all']
    .map((r) => `<option value="${r}" ${rule(lv) === r ? 'selected' : ''}>${t('policyRules')[r]}</option>`).join('')}</select></label>`;
  return `<form id="evac-form" class="evac-form"><fieldset><legend>${t('whoMoves')}</legend>${[4, 3, 2, 1].map(choice).join('')}</fieldset>
    <fieldset><legend>${t('fleet')}</legend>
      <label>${t('buses')} <input type="number" id="evac-buses" min="0" max="2000" step="1" value="${cur.fleet?.buses ?? 10}"></label>
      <label>${t('seats')} <input type="number" id="evac-seats" min="1" max="100" step="1" value="${cur.fleet?.seats ?? 45}"></label></fieldset>
    <div class="ops"><button type="submit" class="primary" id="evac-plan">${t('planNow')}</button></div>
    <p id="evac-status" class="warn-status" role="status"></p></form>`;
}

export function renderPlan() {
  const section = $('plan-section');
  const p = S.plan;
  const operator = store.hasRole('operator');
  section.hidden = !p && !operator;
  if (section.hidden) return;
  let body = '';
  if (p) {
    const tt = p.totals;
    body += `<p id="plan-summary" data-plan="${p.id}">${t('planSummary')({ id: p.id, to: fmt(tt.people_to_move), elderly: fmt(tt.elderly_to_move),
      assigned: fmt(tt.assigned), unserved: fmt(tt.unserved), trips: fmt(tt.trips), finish: fmt(Math.round(tt.finish_minutes)) })}</p>`;
    body += `<p class="muted">${t('clickRoutes')}</p>${changesHtml()}${fillHtml()}`;
    if (store.user()) {
      body += `<h3>${t('sheets')}</h3><p class="ops"><a class="button" target="_blank" rel="noopener" id="sheet-all"
          href="/api/evacuation/plans/${p.id}/sheet">${t('sheetAll')}</a>
        <a class="button" href="/api/evacuation/plans/${p.id}.csv" download>${t('csv')}</a></p>
        <ul class="sheet-list">${townships(p).map((tw) => `<li><a target="_blank" rel="noopener" data-township="${tw.code}"
          href="/api/evacuation/plans/${p.id}/sheet?township=${tw.code}">${esc(tw.name)}</a>
          <span class="muted">${fmt(tw.persons)} ${t('people')}${tw.unserved ? ` · ${t('unservedWord')} ${fmt(tw.unserved)}` : ''}</span></li>`).join('')}</ul>`;
    } else {
      body += `<p class="muted">${t('signInForSheets')}</p>`;
    }
  } else {
    body += `<p class="muted">${t('noPlanYet')}</p>`;
  }
  if (operator) body += formHtml();
  $('plan').innerHTML = body;
  $('evac-form')?.addEventListener('submit', submit);
}

function options() {
  const policy = {};
  document.querySelectorAll('#evac-form [data-policy]').forEach((sel) => { if (sel.value !== 'none') policy[sel.dataset.policy] = sel.value; });
  return { policy, fleet: { buses: Number($('evac-buses').value), seats: Number($('evac-seats').value) } };
}

async function submit(ev) {
  ev.preventDefault();
  if (busy || !S.runId) return;
  busy = true;
  const btn = $('evac-plan');
  btn.disabled = true;
  const say = (text, bad) => { const el = $('evac-status'); if (el) { el.textContent = text; el.className = bad ? 'warn-status bad' : 'warn-status'; } };
  say(t('planning'));
  try {
    const r = await api('POST', '/api/evacuation/plans', { run_id: S.runId, options: options() });
    await loadPlan(S.runId, r.id);
    await shelterInfo();
    store.emit('plan', S.plan);
    renderPlan();
    say(t('planned_')(r.id));
  } catch (err) {
    renderPlan();
    say(err instanceof ApiError ? err.message : String(err), true);
  } finally {
    busy = false;
  }
}

async function shelterInfo() {
  if (!S.runId) return;
  const sh = await getJSON(`/api/shelters?run=${S.runId}`).catch(() => null);
  S.shelterInfo = {};
  for (const f of sh?.features || []) S.shelterInfo[f.properties.code] = f.properties;
}

export async function startEvacuation() {
  store.on('run', async () => { await shelterInfo(); renderPlan(); });
  store.on('lang', renderPlan);
  store.on('user', renderPlan);
  defaults = await getJSON('/api/evacuation/options').catch(() => null);
}
