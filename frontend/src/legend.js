// Layers and legend: the hazard layers are exclusive choices (one at a time, or none), the other
// layers are toggles; the legend shows what is on the map now — the chosen hazard's levels with
// its own thresholds, and only the symbols of the layers shown (roads closed or flooded, routes,
// warning outlines).
import { LEVEL_COLOURS, t } from './i18n.js';
import { store } from './store.js';
import { RISK_LAYERS, TOGGLES } from './style.js';

const $ = (id) => document.getElementById(id);
const S = store.state;
const OTHERS = Object.keys(TOGGLES).filter((k) => !RISK_LAYERS.includes(k));

export function hazardShown() { return RISK_LAYERS.find((h) => S.visible[h]) || null; }

export function applyVisibility() {
  const map = S.map;
  if (!map || !map.isStyleLoaded()) return;
  for (const [key, ids] of Object.entries(TOGGLES)) {
    for (const id of ids) {
      if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', S.visible[key] ? 'visible' : 'none');
    }
  }
}

function choose(hazard) {
  for (const h of RISK_LAYERS) S.visible[h] = h === hazard;
  applyVisibility();
  renderLegend();
}

export function renderLayerChoices() {
  const names = t('layerNames');
  const shown = hazardShown();
  const radios = [...RISK_LAYERS, 'none'].map((h) => `<label class="toggle"><input type="radio" name="hazard-layer"
      value="${h}" ${(shown || 'none') === h ? 'checked' : ''}> ${h === 'none' ? t('noHazardLayer') : names[h]}</label>`).join('');
  const boxes = OTHERS.map((key) => {
    const disabled = key === 'routes' && !S.planId;
    return `<label class="toggle${disabled ? ' disabled' : ''}"><input type="checkbox" data-layer="${key}"
      ${S.visible[key] && !disabled ? 'checked' : ''} ${disabled ? 'disabled' : ''}>
      ${names[key]}${disabled ? ` <small>(${t('noRoutes')})</small>` : ''}</label>`;
  }).join('');
  $('toggles').innerHTML = `<fieldset class="hazard-choice"><legend>${t('hazardLayer')}</legend>${radios}</fieldset>${boxes}`;
  $('toggles').querySelectorAll('input[name=hazard-layer]').forEach((r) => r.addEventListener('change', () => {
    choose(r.value === 'none' ? null : r.value);
  }));
  $('toggles').querySelectorAll('input[data-layer]').forEach((box) => box.addEventListener('change', () => {
    S.visible[box.dataset.layer] = box.checked;
    applyVisibility();
    renderLegend();
  }));
}

function swatch(colour) { return `<rm-swatch colour="${colour}"></rm-swatch>`; }

export function renderLegend() {
  const h = hazardShown();
  const rows = [];
  if (h) {
    const rule = t('legendRules')[h];
    rows.push(`<li class="legend-head" data-hazard="${h}">${t('layerNames')[h]}</li>`);
    for (const lv of [4, 3, 2, 1]) {
      rows.push(`<li data-level="${lv}">${swatch(LEVEL_COLOURS[lv])}<span class="lv">${t('levelShort')[lv]}</span>
        <span class="meaning">${rule[lv]}</span></li>`);
    }
    rows.push(`<li class="muted source">${t('legendSources')[h]}</li>`);
  }
  const v = S.visible;
  const sym = (cls, text, key) => `<li data-symbol="${key}"><span class="sym ${cls}"></span>${text}</li>`;
  if (v.townships) {
    rows.push(sym('township', t('legendTownship'), 'township'));
    // warning outlines only while there are active warnings (the warnings panel lists them)
    if (document.querySelector('#active-warnings li.warning')) rows.push(sym('warning', t('legendWarning'), 'warning'));
  }
  if (v.shelters) {
    rows.push(sym('dot safe', `${t('shelters')} · ${t('safe')}`, 'shelter-safe'));
    rows.push(sym('dot unsafe', `${t('shelters')} · ${t('unsafe')}`, 'shelter-unsafe'));
  }
  if (v.villages) rows.push(sym('dot village', t('layerNames').villages, 'village'));
  if (v.hazard_sites) rows.push(sym('dot site', t('layerNames').hazard_sites, 'site'));
  if (v.roads) {
    rows.push(sym('line road', t('legendRoad'), 'road'));
    rows.push(sym('line closed', t('legendClosed'), 'closed'));
    rows.push(sym('line flooded', t('legendFlooded'), 'flooded'));
  }
  if (v.routes && S.planId) {
    rows.push(sym('line route', t('legendRoute'), 'route'));
    rows.push(sym('dot unserved', t('unservedVillage'), 'unserved'));
  }
  $('legend').innerHTML = rows.join('');
}

// the legend follows the warnings panel's list (warning outlines appear and go with it)
new MutationObserver(() => renderLegend()).observe(document.getElementById('active-warnings'), { childList: true });
