// Find: one search box (<rm-search>) for townships, villages, shelters, hazard sites and roads by
// name, code or pinyin initials (GET /api/search); choosing a hit flies the map there.
import * as maplibregl from '../node_modules/maplibre-gl/dist/maplibre-gl.mjs';
import { api } from './api.js';
import { t } from './i18n.js';
import { store } from './store.js';
import { esc } from './widgets.js';

const S = store.state;
let onTownship = () => {};

class RmSearch extends HTMLElement {
  connectedCallback() {
    if (this.input) return;
    this.innerHTML = `<input type="search" class="rm-search-input" autocomplete="off" spellcheck="false"
        role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="search-results">
      <ul class="rm-search-results" id="search-results" role="listbox" hidden></ul>`;
    this.input = this.querySelector('input');
    this.list = this.querySelector('ul');
    this.hits = [];
    this.active = -1;
    this.timer = null;
    this.seq = 0;
    this.label();
    this.input.addEventListener('input', () => { clearTimeout(this.timer); this.timer = setTimeout(() => this.find(), 150); });
    this.input.addEventListener('keydown', (e) => this.key(e));
    this.input.addEventListener('blur', () => setTimeout(() => this.close(), 150));
    this.list.addEventListener('mousedown', (e) => {
      const li = e.target.closest('li[data-i]');
      if (li) { e.preventDefault(); this.pick(Number(li.dataset.i)); }
    });
  }

  label() {
    if (!this.input) return;
    this.input.placeholder = t('searchPlaceholder');
    this.input.setAttribute('aria-label', t('searchPlaceholder'));
  }

  async find() {
    const q = this.input.value.trim();
    if (!q) { this.close(); return; }
    const seq = ++this.seq;
    try {
      const r = await api('GET', `/api/search?${new URLSearchParams({ q, limit: 12 })}`);
      if (seq !== this.seq) return;
      this.hits = r.results;
      this.active = this.hits.length ? 0 : -1;
      this.render();
    } catch (err) {
      if (seq !== this.seq) return;
      this.hits = [];
      this.render(err.message);
    }
  }

  render(error) {
    const kinds = t('searchKinds');
    this.list.innerHTML = error ? `<li class="muted">${esc(error)}</li>`
      : this.hits.length ? this.hits.map((h, i) => `<li data-i="${i}" role="option" class="${i === this.active ? 'active' : ''}"
          aria-selected="${i === this.active}"><span class="kind">${kinds[h.kind] || h.kind}</span>
          <b>${esc(h.name)}</b>${h.township ? ` <span class="muted">${esc(h.township)}</span>` : ''}</li>`).join('')
        : `<li class="muted">${t('searchNothing')}</li>`;
    this.list.hidden = false;
    this.input.setAttribute('aria-expanded', 'true');
  }

  close() { this.list.hidden = true; this.input.setAttribute('aria-expanded', 'false'); }

  key(e) {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!this.hits.length) return;
      e.preventDefault();
      this.active = (this.active + (e.key === 'ArrowDown' ? 1 : this.hits.length - 1)) % this.hits.length;
      this.render();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      clearTimeout(this.timer);
      if (this.hits.length && this.active >= 0) this.pick(this.active);
      else this.find().then(() => { if (this.hits.length) this.pick(0); });
    } else if (e.key === 'Escape') {
      this.close();
    }
  }

  pick(i) {
    const h = this.hits[i];
    if (!h) return;
    this.close();
    this.input.value = h.name;
    flyTo(h);
  }
}

export function flyTo(hit) {
  const map = S.map;
  if (!map) return;
  S.searchHit = hit;
  S.flying = true;
  map.once('moveend', () => { S.flying = false; });
  if (hit.bbox) map.fitBounds([[hit.bbox[0], hit.bbox[1]], [hit.bbox[2], hit.bbox[3]]], { padding: 40, maxZoom: 14, duration: 800 });
  else map.flyTo({ center: [hit.lon, hit.lat], zoom: Math.max(map.getZoom(), 13), duration: 800 });
  S.popup?.remove();
  S.popup = new maplibregl.Popup({ maxWidth: '260px', className: 'rm-popup' }).setLngLat([hit.lon, hit.lat])
    .setHTML(`<div class="popup" data-kind="search"><b>${esc(hit.name)}</b><div class="muted">${t('searchKinds')[hit.kind]}
      ${hit.township ? ` · ${esc(hit.township)}` : ''}</div></div>`).addTo(map);
  if (hit.kind === 'township') onTownship(hit.code);
}

export function startSearch(options = {}) {
  onTownship = options.onTownship || onTownship;
  if (!customElements.get('rm-search')) customElements.define('rm-search', RmSearch);
  store.on('lang', () => document.querySelectorAll('rm-search').forEach((el) => el.label()));
}
