// The risk one-map page: a MapLibre map of our own tiles, a run selector, legend, layer toggles,
// a county summary and a township panel. Everything is fetched from this origin.
import './csp.js'; // computed styles without inline style attributes (the page's CSP)
import * as maplibregl from '../node_modules/maplibre-gl/dist/maplibre-gl.mjs';
import { ApiError, getJSON } from './api.js';
import { LEVEL_COLOURS, lang, setLang, t } from './i18n.js';
import { buildStyle } from './style.js';
import { renderWarningsStatic, startWarnings } from './warnings.js';
import { store } from './store.js';
import './widgets.js';
import { applyVisibility, renderLayerChoices, renderLegend } from './legend.js';
import { closeTownship, onMapClick, openTownship } from './explain.js';
import { addFurniture, phoneLayout, showPanel } from './furniture.js';
import { loadPlan, renderPlan, startEvacuation } from './evacuation.js';
import { startSearch } from './search.js';
import { startLedger } from './ledger.js';
import { startAdmin } from './admin.js';
import { startWorkspace } from './workspace.js';
import { beijing, hazardSources } from './flood.js';

const state = Object.assign(store.state, {
  runs: [], runId: null, risk: null, relief: null, map: null, popup: null,
  visible: { onemap: true, rain: false, fire: false, geohazard: false, townships: true, villages: true,
             shelters: true, hazard_sites: false, roads: true, routes: true, relief: true },
  selected: null,
});
window.riskmap = state; // for operators' consoles and the browser tests

const $ = (id) => document.getElementById(id);
const fmt = (n) => Number(n || 0).toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-US');

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
    <div class="levels">${[4, 3, 2, 1].map((lv) => `<span class="chip"><rm-swatch colour="${LEVEL_COLOURS[lv]}"></rm-swatch>
      ${t('levelShort')[lv]} <b data-level="${lv}">${perLevel[lv]}</b></span>`).join('')}</div>
    <div class="muted">${t('townshipsAtLevel')}</div>
    <div class="people"><span>${t('peopleRed')} <b id="people-red">${fmt(red)}</b></span>
      <span>${t('peopleOrange')} <b id="people-orange">${fmt(orange)}</b></span></div>`;
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
    state.map.once('styledata', () => { applyVisibility(); if (state.selected) openTownship(state.selected); store.emit('map', state.map); });
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
  addFurniture(map);
  loadingIndicator(map);
  map.on('load', () => { applyVisibility(); document.body.dataset.mapReady = '1'; store.emit('map', map); });
  map.on('click', onMapClick);
  for (const layer of ['shelters', 'routes', 'villages']) {
    map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
  }
  map.on('error', (e) => { if (e?.error?.status === 0 || e?.error?.message?.includes('Failed to fetch')) showMessage(t('apiDown')); });
}

async function selectRun(id) {
  state.runId = id;
  state.risk = id ? await getJSON(`/api/townships/risk?run=${id}`) : null;
  await loadPlan(id);
  renderLayerChoices();
  renderLegend();
  renderAsOf();
  renderSummary();
  buildMap();
  store.emit('run', id);
}

async function start() {
  setLang(lang());
  translateStatic();
  renderLegend();
  renderLayerChoices();
  phoneLayout();
  try {
    const [runs, relief] = await Promise.all([
      getJSON('/api/runs?limit=100'),
      getJSON('/api/basemap/relief.json').catch(() => null),
    ]);
    state.runs = runs.filter((r) => r.status === 'published');
    state.relief = relief;
    // ?run=ID opens that run (a link to share); the latest published otherwise
    const wanted = Number(new URLSearchParams(location.search).get('run'));
    state.runId = state.runs.find((r) => r.id === wanted)?.id ?? state.runs[0]?.id ?? null;
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
  translateStatic(); renderLegend(); renderLayerChoices(); renderSummary(); renderAsOf(); renderRunSelect();
  renderWarningsStatic();
  if (state.selected) openTownship(state.selected);
  store.emit('lang', lang());
});
$('township-close').addEventListener('click', closeTownship);
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

// who is signed in: the warnings panel shows it in #whoami; the panels follow
function watchUser() {
  const sync = () => {
    const u = store.user();
    const signed = !$('whoami').hidden && Boolean(u);
    $('open-ledger').hidden = !signed;
    $('open-admin').hidden = !(signed && u.role === 'admin');
    store.emit('user', signed ? u : null);
  };
  new MutationObserver(sync).observe($('whoami'), { attributes: true, attributeFilter: ['hidden'] });
  $('sign-out').addEventListener('click', () => { fetch('/api/auth/logout', { method: 'POST' }).catch(() => {}); });
  sync();
}

store.on('plan', () => { renderLayerChoices(); renderLegend(); buildMap(); });
// a township found by the search box: its panel (on a phone the panel stays closed: the map flies)
store.on('township', (code) => { openTownship(code); if (!window.matchMedia('(max-width: 760px)').matches) showPanel(); });
startWorkspace();
startSearch({ onTownship: (code) => store.emit('township', code) });
startEvacuation();
startLedger();
startAdmin();
startWarnings({ runId: () => state.runId, onChange: refreshWarningsOnMap });
watchUser();
start().then(renderPlan);
