// Map furniture: a north arrow (turns with the map; a click sets north up again), the run's
// computed-at time and the data attribution; and the phone layout: the panel opens and closes
// over a full-height map, which re-fits itself whenever its box changes size (map.resize()).
import { lang, t } from './i18n.js';
import { store } from './store.js';
import { esc } from './widgets.js';

const S = store.state;
const $ = (id) => document.getElementById(id);

function beijing(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  const parts = new Intl.DateTimeFormat(lang() === 'zh' ? 'zh-CN' : 'en-GB', {
    timeZone: 'Asia/Shanghai', month: lang() === 'zh' ? 'numeric' : 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false,
  }).formatToParts(d);
  const get = (k) => parts.find((p) => p.type === k)?.value;
  return lang() === 'zh' ? `${get('month')}月${get('day')}日 ${get('hour')}:${get('minute')}（北京时间）`
    : `${get('day')} ${get('month')} ${get('hour')}:${get('minute')} (Beijing time)`;
}
export { beijing };

class NorthArrow {
  onAdd(map) {
    this.map = map;
    this.el = document.createElement('div');
    this.el.className = 'maplibregl-ctrl maplibregl-ctrl-group rm-north';
    this.el.innerHTML = `<button type="button" class="rm-north-btn"><svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
      <path d="M12 2 L18 20 L12 16 L6 20 Z" fill="#c62828" stroke="#222" stroke-width="0.8"/></svg><span>N</span></button>`;
    this.btn = this.el.querySelector('button');
    this.btn.addEventListener('click', () => map.easeTo({ bearing: 0, pitch: 0 }));
    this.turn = () => { this.btn.firstElementChild.style.transform = `rotate(${-map.getBearing()}deg)`; };
    map.on('rotate', this.turn);
    this.label();
    return this.el;
  }

  label() { if (this.btn) { this.btn.title = t('northUp'); this.btn.setAttribute('aria-label', t('northUp')); } }

  onRemove() { this.map.off('rotate', this.turn); this.el.remove(); }
}

class RunStamp {
  onAdd() {
    this.el = document.createElement('div');
    this.el.className = 'maplibregl-ctrl rm-stamp';
    this.el.id = 'map-stamp';
    this.render();
    return this.el;
  }

  render() {
    if (!this.el) return;
    const run = S.runs?.find((r) => r.id === S.runId);
    const computed = run ? t('computedAt')(run.id, beijing(run.published_at || run.created_at)) : t('noRun');
    this.el.innerHTML = `<div class="computed" data-run="${run?.id || ''}">${esc(computed)}</div>
      <div class="attribution">${esc(t('attribution'))}</div>`;
  }

  onRemove() { this.el.remove(); }
}

const north = new NorthArrow();
const stamp = new RunStamp();

// called once the map exists (maplibregl.Map); the ScaleControl is main.js's
export function addFurniture(map) {
  map.addControl(north, 'top-left');
  map.addControl(stamp, 'bottom-right');
  // the map re-fits to its box whenever the box changes (the phone panel opening or closing,
  // a rotated phone, the workspace closing): no fixed delays
  new ResizeObserver(() => map.resize()).observe(map.getContainer());
}

export function refreshFurniture() { north.label(); stamp.render(); }

// the phone layout: the panel starts closed (the map gets the screen) and ☰ opens it
export function phoneLayout() {
  const phone = window.matchMedia('(max-width: 760px)');
  const side = $('side');
  const sync = () => $('panel-toggle').setAttribute('aria-expanded', String(!side.classList.contains('collapsed')));
  if (phone.matches) side.classList.add('collapsed');
  sync();
  new MutationObserver(sync).observe(side, { attributes: true, attributeFilter: ['class'] });
}

// show the panel (on a phone) when something asks for it: a township opened, a search hit
export function showPanel() {
  const side = $('side');
  if (side.classList.contains('collapsed')) side.classList.remove('collapsed');
}

store.on('run', refreshFurniture);
store.on('lang', refreshFurniture);
