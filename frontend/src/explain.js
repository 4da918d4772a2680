// "Why is this red": click any point of the map for each hazard's level there and what it comes from
// (GET /api/point); the township panel with every hazard's level, its villages by level and the
// free places in safe shelters (shelters in orange/red are not counted). Popups of shelters,
// villages, hazard sites and evacuation routes.
import * as maplibregl from '../node_modules/maplibre-gl/dist/maplibre-gl.mjs';
import { ApiError, api } from './api.js';
import { lang, t } from './i18n.js';
import { store } from './store.js';
import { esc } from './widgets.js';
import { beijing, floodSection } from './flood.js';

const $ = (id) => document.getElementById(id);
const fmt = (n, d = 0) => (n === null || n === undefined ? '—'
  : Number(n).toLocaleString(lang() === 'zh' ? 'zh-CN' : 'en-US', { maximumFractionDigits: d }));
const S = store.state;
const message = (err) => (err instanceof ApiError ? err.message : String(err));

function bar(value, max) { return `<rm-bar value="${Number(value) || 0}" max="${Number(max) || 0}"></rm-bar>`; }
const level = (lv, short = true) => `<rm-level level="${Number(lv) || 0}"${short ? ' short' : ''}></rm-level>`;

// ---- popups ---------------------------------------------------------------------------------------

function shelterPopup(p) {
  const planned = S.planned?.[p.code] || 0;
  const after = planned ? `<div>${t('planned')} +${fmt(planned)} → ${fmt(p.occupancy + planned)} / ${fmt(p.capacity)}</div>
    ${bar(p.occupancy + planned, p.capacity)}` : '';
  return `<div class="popup" data-kind="shelter"><b>${esc(p.name)}</b><div class="muted">${t('classes')[p.class] || esc(p.class)}</div>
    <div>${t('capacity')} ${fmt(p.capacity)} · ${t('occupancy')} ${fmt(p.occupancy)} · ${t('free')} ${fmt(p.free)}</div>
    ${bar(p.occupancy, p.capacity)}${after}<div class="${p.safe ? 'ok' : 'warn'}">${p.safe ? t('safe') : t('unsafe')}</div></div>`;
}

function routePopup(p) {
  return `<div class="popup" data-kind="route"><b>${esc(p.village)} → ${esc(p.shelter)}</b>
    <div>${t('routePeople')(fmt(p.persons), fmt(p.elderly))}</div>
    <div>${p.trips ? t('routeTrips')(fmt(p.trips)) : t('routeWalk')} · ${t('routeMinutes')(fmt(p.minutes))}</div></div>`;
}

function featurePopup(f) {
  const p = f.properties;
  if (f.layer.id === 'shelters') return shelterPopup(p);
  if (f.layer.id === 'routes') return routePopup(p);
  if (f.layer.id === 'villages') {
    return `<div class="popup" data-kind="village"><b>${esc(p.name)}</b><div>${t('population')} ${fmt(p.population)} · ${t('elderly')} ${fmt(p.elderly)}</div>
      <div>${t('level')}: ${level(p.level, false)}</div></div>`;
  }
  return `<div class="popup" data-kind="site"><b>${esc(p.name)}</b><div>${t('kinds')[p.kind] || esc(p.kind)} · ${t('threatened')} ${fmt(p.threatened_people)}</div></div>`;
}

function thresholdRows(items, label) {
  return items.map((x) => `<li class="${x.reached ? 'reached' : ''}">${level(x.level)} ${label(x)}${x.reached ? ' ✔' : ''}</li>`).join('');
}

// the /api/point answer as the popup shows it
export function pointHtml(p) {
  const hz = p.hazards;
  const acc = hz.rain.accumulations_mm;
  const rain = `<section class="why" data-hazard="rain"><h4>${t('hazards').rain} ${level(hz.rain.level)}</h4>
    <table class="acc"><tr>${Object.keys(acc).map((k) => `<th>${k}</th>`).join('')}</tr>
    <tr>${Object.values(acc).map((v) => `<td class="num">${fmt(v, 1)}</td>`).join('')}</tr></table>
    <ul class="thresholds">${thresholdRows(hz.rain.thresholds, (x) => t('rainRule')(x.hours, x.mm))}</ul></section>`;
  const c = hz.fire.codes;
  const fire = `<section class="why" data-hazard="fire"><h4>${t('hazards').fire} ${level(hz.fire.level)}</h4>
    <div class="codes">FWI <b>${fmt(c.fwi, 1)}</b>${hz.fire.fwi_class ? ` (${t('fwiClasses')[hz.fire.fwi_class] || hz.fire.fwi_class})` : ''}
      · FFMC ${fmt(c.ffmc, 1)} · DMC ${fmt(c.dmc, 1)} · DC ${fmt(c.dc, 1)} · ISI ${fmt(c.isi, 1)} · BUI ${fmt(c.bui, 1)}</div>
    <ul class="thresholds">${thresholdRows(hz.fire.thresholds, (x) => t('fireRule')(x.fwi))}</ul>
    ${hz.fire.note ? `<p class="muted">${t('noFuel')}</p>` : ''}</section>`;
  const g = hz.geohazard;
  const geo = `<section class="why" data-hazard="geohazard"><h4>${t('hazards').geohazard} ${level(g.level)}</h4>
    <div>${t('susceptibility')} <b>${g.susceptibility_class ? t('susceptibilityClasses')[g.susceptibility_class] : '—'}</b>
      · ${t('effectiveRain')} <b>${fmt(g.effective_rain_mm, 1)}</b> mm</div>
    <ul class="thresholds">${g.thresholds.length ? thresholdRows(g.thresholds, (x) => t('geoRule')(x.mm)) : `<li class="muted">${t('noGeoThreshold')}</li>`}</ul></section>`;
  const where = [p.township?.name, p.village ? t('nearVillage')(esc(p.village.name), fmt(p.village.distance_m)) : null].filter(Boolean).join(' · ');
  return `<div class="popup point" data-level="${p.level}"><div class="why-head">${level(p.level, false)}
      ${p.dominant_hazard ? `<span class="muted">${t('dominant')}: ${t('hazards')[p.dominant_hazard]}</span>` : ''}</div>
    <div class="where">${esc(where)}</div><div class="muted">${t('runLabel')(p.run.id)}</div>
    ${rain}${fire}${geo}${p.notes.length ? `<p class="muted">${t('oldRun')}</p>` : ''}</div>`;
}

function popup(lngLat, html) {
  S.popup?.remove();
  S.popup = new maplibregl.Popup({ maxWidth: '320px', className: 'rm-popup' }).setLngLat(lngLat).setHTML(html).addTo(S.map);
}

export async function explainPoint(lngLat) {
  popup(lngLat, `<div class="popup point loading">${t('loading')}</div>`);
  const params = new URLSearchParams({ lon: lngLat.lng.toFixed(6), lat: lngLat.lat.toFixed(6) });
  if (S.runId) params.set('run', S.runId);
  try {
    const p = await api('GET', `/api/point?${params}`);
    S.point = p;
    popup(lngLat, pointHtml(p));
    if (p.township?.code) openTownship(p.township.code);
  } catch (err) {
    popup(lngLat, `<div class="popup point error">${esc(message(err))}</div>`);
  }
}

export function onMapClick(e) {
  const map = S.map;
  const layers = ['shelters', 'villages', 'hazard_sites', 'routes'].filter((l) => map.getLayer(l)
    && map.getLayoutProperty(l, 'visibility') !== 'none');
  const box = [[e.point.x - 4, e.point.y - 4], [e.point.x + 4, e.point.y + 4]];
  const hit = map.queryRenderedFeatures(box, { layers });
  if (hit.length) {
    const order = ['shelters', 'villages', 'hazard_sites', 'routes'];
    hit.sort((a, b) => order.indexOf(a.layer.id) - order.indexOf(b.layer.id));
    popup(e.lngLat, featurePopup(hit[0]));
    return;
  }
  explainPoint(e.lngLat);
}

// ---- the township panel ---------------------------------------------------------------------------

export async function openTownship(code) {
  const tw = S.risk?.townships.find((x) => x.code === code);
  if (!tw) return;
  S.selected = code;
  S.map?.setFilter('townships-selected', ['==', ['get', 'code'], code]);
  const panel = $('township-panel');
  panel.hidden = false;
  panel.dataset.code = code;
  panel.dataset.level = tw.level;
  $('tp-name').textContent = tw.name;
  const exposed = [4, 3, 2, 1].map((lv) => {
    const colour = ['blue', 'yellow', 'orange', 'red'][lv - 1];
    return `<tr><td>${level(lv)}</td><td class="num">${fmt(tw.exposed[colour])} ${t('people')}</td></tr>`;
  }).join('');
  const hazards = ['rain', 'fire', 'geohazard'].map((h) => `<li data-hazard="${h}"><span>${t('hazards')[h]}</span> ${level(tw.hazards[h])}</li>`).join('');
  const feature = S.map?.queryRenderedFeatures({ layers: ['townships-fill'] }).find((f) => f.properties.code === code);
  const warnings = feature?.properties.warnings || 0;
  $('tp-body').innerHTML = `
    <p class="tp-level">${level(tw.level, false)}</p>
    <p>${t('dominant')}: <b>${tw.dominant_hazard ? t('hazards')[tw.dominant_hazard] : t('none')}</b> · ${t('population')} ${fmt(tw.population)}</p>
    <h3>${t('everyHazard')}</h3><ul class="hazard-levels">${hazards}</ul>
    <h3>${t('exposed')}</h3><table class="exposed">${exposed}</table>
    ${floodSection(tw, beijing, esc)}
    <h3>${t('villagesByLevel')}</h3><div id="tp-villages" class="muted">${t('loading')}</div>
    <h3>${t('warnings')}</h3><p>${warnings ? `${warnings}` : t('noWarnings')}</p>
    <h3>${t('safeShelters')}</h3><div id="tp-shelters" class="muted">${t('loading')}</div>`;
  const run = S.runId ? `run=${S.runId}` : '';
  const [villages, shelters] = await Promise.allSettled([
    api('GET', `/api/townships/${code}/villages?${run}`),
    api('GET', `/api/shelters?township=${code}&${run}`),
  ]);
  if (S.selected !== code) return;
  renderVillages(villages);
  renderShelters(shelters);
}

function renderVillages(result) {
  const el = $('tp-villages');
  if (!el) return;
  el.classList.remove('muted');
  if (result.status === 'rejected') { el.textContent = message(result.reason); return; }
  const byLevel = {};
  for (const v of result.value.villages) (byLevel[v.level] ||= []).push(v);
  el.innerHTML = [4, 3, 2, 1, 0].filter((lv) => byLevel[lv]).map((lv) => {
    const vs = byLevel[lv];
    const people = vs.reduce((a, v) => a + v.population, 0);
    const names = vs.slice(0, 12).map((v) => esc(v.name)).join('、') + (vs.length > 12 ? ` ${t('andMore')(vs.length - 12)}` : '');
    return `<div class="village-level" data-level="${lv}">${level(lv)} <b>${vs.length}</b> ${t('villagesUnit')} · ${fmt(people)} ${t('people')}
      <div class="muted">${names}</div></div>`;
  }).join('') || `<p class="muted">${t('none')}</p>`;
}

function renderShelters(result) {
  const el = $('tp-shelters');
  if (!el) return;
  el.classList.remove('muted');
  if (result.status === 'rejected') { el.textContent = message(result.reason); return; }
  const all = result.value.features.map((f) => f.properties);
  const usable = all.filter((p) => p.safe !== false && p.status === 'open');
  const excluded = all.length - usable.length;
  const free = usable.reduce((a, p) => a + p.free, 0);
  el.innerHTML = `<p class="safe-free">${t('safeFree')} <b data-free="${free}">${fmt(free)}</b>
      ${excluded ? `<span class="muted">${t('excludedShelters')(excluded)}</span>` : ''}</p>
    <ul class="shelter-list">${usable.map((p) => `<li><span class="name">${esc(p.name)}</span>
      <span class="muted">${t('classes')[p.class] || esc(p.class)}</span>${bar(p.occupancy, p.capacity)}
      <span class="num">${fmt(p.free)} ${t('free')}</span></li>`).join('')}</ul>`;
}

export function closeTownship() {
  $('township-panel').hidden = true;
  S.selected = null;
  S.map?.setFilter('townships-selected', ['==', ['get', 'code'], '']);
}
