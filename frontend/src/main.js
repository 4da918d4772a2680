// The risk one-map page: a MapLibre map of our own tiles, a run selector, legend, layer toggles,
// a county summary and a township panel. Everything is fetched from this origin.
import './csp.js'; // computed styles without inline style attributes (the page's CSP)
import * as maplibregl from '../node_modules/maplibre-gl/dist/maplibre-gl.mjs';
import { ApiError, getJSON } from './api.js';
import { LEVEL_COLOURS, lang, setLang, t } from './i18n.js';
import { RISK_LAYERS, TOGGLES, buildStyle } from './style.js';
import { renderWarningsStatic, startWarnings } from './warnings.js';
import { floodSection, hazardSources } from './flood.js';

const state = {
  runs: [], runId: null, risk: null, relief: null, map: null, popup: null,
  visible: { onemap: true, rain: false, fire: false, geohazard: false, townships: true, villages: true,
             shelters: true, hazard_sites: false, roads: true, routes: true, relief: true },
  selected: null,
};
window.riskmap = state; // for operators' consoles and the browser tests

const $ = (id) => document.getElementById(id);
const fmt = (n) => Number(n || 0).toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-US');
const escapeHtml = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

function beijing(iso) {
  const d = new Date(iso);
  return d.toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: 'Asia/Shanghai', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
  });
}

function showMessage(text) {
  const m = $('message');
  m.textContent = text || '';
  m.hidden = !text;
}

function translateStatic() {
  document.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
  document.querySelectorAll('[data-i18n-title]').forEach((el) => { el.title = t(el.dataset.i18nTitle); });
  document.querySelectorAll('[data-i18n-placeholder]').forEach((el) => { el.placeholder = t(el.dataset.i18nPlaceholder); });
  $('lang-toggle').textContent = t('lang');
  document.title = `${t('title')} · riskmap`;
}

function renderLegend() {
  $('legend').innerHTML = [4, 3, 2, 1].map((lv) => `
    <li><span class="swatch" data-css-bg="${LEVEL_COLOURS[lv]}"></span>
      <span class="lv">${t('levels')[lv]}</span><span class="meaning">${t('meanings')[lv]}</span></li>`).join('')
    + `<li><span class="dot safe"></span>${t('shelters')} · ${t('safe')}</li>
       <li><span class="dot unsafe"></span>${t('shelters')} · ${t('unsafe')}</li>
       <li><span class="dot village"></span>${t('layerNames').villages}</li>
       <li><span class="dot site"></span>${t('layerNames').hazard_sites}</li>
       <li><span class="line route"></span>${t('layerNames').routes}</li>
       <li><span class="dot unserved"></span>${t('unservedVillage')}</li>`;
}

function renderToggles() {
  const names = t('layerNames');
  $('toggles').innerHTML = Object.keys(TOGGLES).map((key) => {
    const disabled = key === 'routes' && !state.planId;
    return `<label class="toggle${disabled ? ' disabled' : ''}"><input type="checkbox" data-layer="${key}"
      ${state.visible[key] && !disabled ? 'checked' : ''} ${disabled ? 'disabled' : ''}>
      ${names[key]}${disabled ? ` <small>(${t('noRoutes')})</small>` : ''}</label>`;
  }).join('');
  $('toggles').querySelectorAll('input').forEach((box) => box.addEventListener('change', () => {
    state.visible[box.dataset.layer] = box.checked;
    applyVisibility();
  }));
}

function applyVisibility() {
  const map = state.map;
  if (!map || !map.isStyleLoaded()) return;
  for (const [key, ids] of Object.entries(TOGGLES)) {
    for (const id of ids) {
      if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', state.visible[key] ? 'visible' : 'none');
    }
  }
}

function renderSummary() {
  const el = $('summary');
  if (!state.risk) { el.textContent = t('noRun'); return; }
  const perLevel = { 1: 0, 2: 0, 3: 0, 4: 0 };
  let red = 0; let orange = 0;
  for (const tw of state.risk.townships) {
    if (tw.level) perLevel[tw.level] += 1;
    red += tw.exposed.red; orange += tw.exposed.orange;
  }
  el.innerHTML = `
    <div class="levels">${[4, 3, 2, 1].map((lv) => `<span class="chip" data-css-c="${LEVEL_COLOURS[lv]}">
      ${t('levelShort')[lv]} <b data-level="${lv}">${perLevel[lv]}</b></span>`).join('')}</div>
    <div class="muted">${t('townshipsAtLevel')}</div>
    <div class="people"><span>${t('peopleRed')} <b id="people-red">${fmt(red)}</b></span>
      <span>${t('peopleOrange')} <b id="people-orange">${fmt(orange)}</b></span></div>`;
}

function renderPlan() {
  const section = $('plan-section');
  const p = state.plan;
  section.hidden = !p;
  if (!p) return;
  const tt = p.totals;
  const text = t('planSummary')({ id: p.id, to: fmt(tt.people_to_move), elderly: fmt(tt.elderly_to_move),
    assigned: fmt(tt.assigned), unserved: fmt(tt.unserved), trips: fmt(tt.trips), finish: fmt(Math.round(tt.finish_minutes)) });
  const ch = state.changes;
  let changes = '';
  if (ch && ch.against) {
    changes = ch.villages.length
      ? `<p>${t('changes')(ch.villages.length, ch.against)}</p><ul class="changes">${ch.villages.slice(0, 8)
        .map((v) => `<li>${escapeHtml(v.township)} · ${escapeHtml(v.village)}</li>`).join('')}</ul>`
      : `<p class="muted">${t('noChanges')}</p>`;
  }
  $('plan').innerHTML = `<p>${text}</p>${changes}`;
}

function renderAsOf() {
  const run = state.runs.find((r) => r.id === state.runId);
  $('asof').textContent = run ? t('asOf')(beijing(run.valid_from), beijing(run.valid_to), run.id) + hazardSources(run, beijing) : '';
}

function renderRunSelect() {
  const sel = $('run-select');
  sel.innerHTML = state.runs.map((r) => `<option value="${r.id}" ${r.id === state.runId ? 'selected' : ''}>
    #${r.id} · ${beijing(r.valid_from)}–${beijing(r.valid_to)}</option>`).join('');
  sel.disabled = state.runs.length === 0;
}

async function openTownship(code) {
  const tw = state.risk?.townships.find((x) => x.code === code);
  if (!tw) return;
  state.selected = code;
  state.map.setFilter('townships-selected', ['==', ['get', 'code'], code]);
  const panel = $('township-panel');
  panel.hidden = false;
  panel.dataset.code = code;
  panel.dataset.level = tw.level;
  $('tp-name').textContent = tw.name;
  const exposed = [4, 3, 2, 1].map((lv) => {
    const colour = ['blue', 'yellow', 'orange', 'red'][lv - 1];
    return `<tr><td><span class="swatch" data-css-bg="${LEVEL_COLOURS[lv]}"></span>${t('levelShort')[lv]}</td>
      <td class="num">${fmt(tw.exposed[colour])} ${t('people')}</td></tr>`;
  }).join('');
  const feature = state.map.queryRenderedFeatures({ layers: ['townships-fill'] })
    .find((f) => f.properties.code === code);
  const warnings = feature?.properties.warnings || 0;
  $('tp-body').innerHTML = `
    <p class="tp-level"><span class="badge" data-css-c="${LEVEL_COLOURS[tw.level] || '#9aa3ad'}">${t('levels')[tw.level]}</span></p>
    <p>${t('dominant')}: <b>${tw.dominant_hazard ? t('hazards')[tw.dominant_hazard] : t('none')}</b>
       · ${t('population')} ${fmt(tw.population)}</p>
    <h3>${t('exposed')}</h3><table class="exposed">${exposed}</table>
    ${floodSection(tw, beijing, escapeHtml)}
    <h3>${t('warnings')}</h3><p>${warnings ? `${warnings}` : t('noWarnings')}</p>
    <h3>${t('shelters')}</h3><div id="tp-shelters" class="muted">${t('loading')}</div>`;
  try {
    const sh = await getJSON(`/api/shelters?township=${code}${state.runId ? `&run=${state.runId}` : ''}`);
    if (state.selected !== code) return;
    $('tp-shelters').classList.remove('muted');
    $('tp-shelters').innerHTML = `<p>${t('capacity')} ${fmt(sh.totals.capacity)} · ${t('free')} <b>${fmt(sh.totals.free)}</b></p>
      <ul class="shelter-list">${sh.features.map((f) => shelterRow(f.properties)).join('')}</ul>`;
  } catch (err) {
    $('tp-shelters').textContent = err instanceof ApiError && err.status === 0 ? t('apiDown') : err.message;
  }
}

function occupancyBar(p) {
  const share = p.capacity ? Math.min(p.occupancy / p.capacity, 1) : 0;
  return `<span class="bar" title="${fmt(p.occupancy)} / ${fmt(p.capacity)}"><span data-css-w="${(share * 100).toFixed(1)}"></span></span>`;
}

function shelterRow(p) {
  return `<li class="${p.safe === false ? 'unsafe' : ''}"><span class="name">${escapeHtml(p.name)}</span>
    <span class="muted">${t('classes')[p.class] || p.class}</span>
    ${occupancyBar(p)}<span class="num">${fmt(p.free)} ${t('free')}</span></li>`;
}

function shelterPopup(p) {
  const planned = state.planned?.[p.code] || 0;
  const after = planned ? `<div>${t('planned')} +${fmt(planned)} → ${fmt(p.occupancy + planned)} / ${fmt(p.capacity)}</div>
    ${occupancyBar({ occupancy: p.occupancy + planned, capacity: p.capacity })}` : '';
  return `<div class="popup"><b>${escapeHtml(p.name)}</b><div class="muted">${t('classes')[p.class] || p.class}</div>
    <div>${t('capacity')} ${fmt(p.capacity)} · ${t('occupancy')} ${fmt(p.occupancy)} · ${t('free')} ${fmt(p.free)}</div>
    ${occupancyBar(p)}${after}<div class="${p.safe ? 'ok' : 'warn'}">${p.safe ? t('safe') : t('unsafe')}</div></div>`;
}

function onMapClick(e) {
  const map = state.map;
  const hit = map.queryRenderedFeatures(e.point, { layers: ['shelters', 'villages', 'hazard_sites'].filter((l) => map.getLayer(l) && state.visible[l]) });
  if (hit.length) {
    const f = hit[0];
    let html;
    if (f.layer.id === 'shelters') html = shelterPopup(f.properties);
    else if (f.layer.id === 'villages') html = `<div class="popup"><b>${escapeHtml(f.properties.name)}</b><div>${t('population')} ${fmt(f.properties.population)} · ${t('elderly')} ${fmt(f.properties.elderly)}</div><div>${t('level')}: ${t('levels')[f.properties.level]}</div></div>`;
    else html = `<div class="popup"><b>${escapeHtml(f.properties.name)}</b><div>${t('kinds')[f.properties.kind] || f.properties.kind} · ${t('threatened')} ${fmt(f.properties.threatened_people)}</div></div>`;
    state.popup?.remove();
    state.popup = new maplibregl.Popup({ maxWidth: '280px' }).setLngLat(e.lngLat).setHTML(html).addTo(map);
    return;
  }
  const towns = map.queryRenderedFeatures(e.point, { layers: ['townships-fill'] });
  if (towns.length) openTownship(towns[0].properties.code);
}

function loadingIndicator(map) {
  const el = $('loading');
  let timer = null;
  map.on('dataloading', () => { clearTimeout(timer); timer = setTimeout(() => { el.hidden = false; }, 150); });
  map.on('idle', () => { clearTimeout(timer); el.hidden = true; });
}

function buildMap() {
  const bounds = state.relief
    ? [state.relief.coordinates[3][0], state.relief.coordinates[3][1], state.relief.coordinates[1][0], state.relief.coordinates[1][1]]
    : [114.6, 25.45, 115.45, 26.15];
  const labels = {
    type: 'FeatureCollection',
    features: (state.risk?.townships || []).map((tw) => ({
      type: 'Feature', geometry: { type: 'Point', coordinates: tw.label }, properties: { name: tw.name, code: tw.code },
    })),
  };
  const unserved = {
    type: 'FeatureCollection',
    features: (state.plan?.unserved || []).map((u) => ({
      type: 'Feature', geometry: { type: 'Point', coordinates: [u.lon, u.lat] },
      properties: { name: u.village, persons: u.persons, reason: u.reason },
    })),
  };
  const style = buildStyle({ runId: state.runId, planId: state.planId, relief: state.relief, bounds, labels, unserved });
  if (state.map) {
    state.map.setStyle(style);
    state.map.once('styledata', () => { applyVisibility(); if (state.selected) openTownship(state.selected); });
    return;
  }
  const map = new maplibregl.Map({
    container: 'map', style, bounds, fitBoundsOptions: { padding: 20 }, attributionControl: false,
    maxZoom: 16, minZoom: 6, localIdeographFontFamily: "'Noto Sans CJK SC', 'Noto Sans SC', sans-serif",
    canvasContextAttributes: { preserveDrawingBuffer: true },
  });
  state.map = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  loadingIndicator(map);
  map.on('load', () => { applyVisibility(); document.body.dataset.mapReady = '1'; });
  map.on('click', onMapClick);
  map.on('mouseenter', 'shelters', () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', 'shelters', () => { map.getCanvas().style.cursor = ''; });
  map.on('error', (e) => { if (e?.error?.status === 0 || e?.error?.message?.includes('Failed to fetch')) showMessage(t('apiDown')); });
}

async function loadPlan(runId) {
  state.planId = null; state.plan = null; state.planned = {};
  if (!runId) return;
  const plans = await getJSON(`/api/evacuation/plans?run=${runId}&limit=1`).catch(() => []);
  if (!plans.length) return;
  state.plan = await getJSON(`/api/evacuation/plans/${plans[0].id}`);
  state.planId = state.plan.id;
  state.changes = await getJSON(`/api/evacuation/plans/${state.planId}/changes`).catch(() => null);
  for (const a of state.plan.assignments) state.planned[a.shelter_code] = (state.planned[a.shelter_code] || 0) + a.persons;
}

async function selectRun(id) {
  state.runId = id;
  state.risk = id ? await getJSON(`/api/townships/risk?run=${id}`) : null;
  await loadPlan(id);
  renderToggles();
  renderAsOf();
  renderSummary();
  renderPlan();
  buildMap();
}

async function start() {
  setLang(lang());
  translateStatic();
  renderLegend();
  renderToggles();
  try {
    const [runs, relief] = await Promise.all([
      getJSON('/api/runs?limit=100'),
      getJSON('/api/basemap/relief.json').catch(() => null),
    ]);
    state.runs = runs.filter((r) => r.status === 'published');
    state.relief = relief;
    state.runId = state.runs[0]?.id ?? null;
    renderRunSelect();
    if (!state.runId) showMessage(t('noRun'));
    await selectRun(state.runId);
  } catch (err) {
    showMessage(err instanceof ApiError && err.status === 0 ? t('apiDown') : `${t('apiDown')} (${err.message})`);
    document.body.dataset.mapReady = 'error';
  }
}

$('run-select').addEventListener('change', (e) => selectRun(Number(e.target.value)));
$('lang-toggle').addEventListener('click', () => {
  setLang(lang() === 'zh' ? 'en' : 'zh');
  translateStatic(); renderLegend(); renderToggles(); renderSummary(); renderAsOf(); renderRunSelect(); renderPlan();
  renderWarningsStatic();
  if (state.selected) openTownship(state.selected);
});
$('township-close').addEventListener('click', () => {
  $('township-panel').hidden = true; state.selected = null;
  state.map?.setFilter('townships-selected', ['==', ['get', 'code'], '']);
});
$('panel-toggle').addEventListener('click', () => {
  const side = $('side');
  side.classList.toggle('collapsed');
  $('panel-toggle').setAttribute('aria-expanded', String(!side.classList.contains('collapsed')));
  setTimeout(() => state.map?.resize(), 50);
});

// warnings change the townships layer (active warnings outline their townships): reload its tiles
function refreshWarningsOnMap() {
  const source = state.map?.getSource('townships');
  if (!source) return;
  const params = new URLSearchParams(state.runId ? { run: state.runId } : {});
  params.set('v', Date.now());
  source.setTiles([`${location.origin}/tiles/townships/{z}/{x}/{y}.pbf?${params}`]);
}

startWarnings({ runId: () => state.runId, onChange: refreshWarningsOnMap });
start();
