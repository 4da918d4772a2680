// Reusable widgets as custom elements. They set computed styles through the CSSOM (which the page's
// Content-Security-Policy allows), never through style="…" attributes (which it blocks).
import { LEVEL_COLOURS, t } from './i18n.js';

// <rm-bar value="30" max="100" tone="ok|warn"> a thin progress bar
class RmBar extends HTMLElement {
  static get observedAttributes() { return ['value', 'max']; }
  connectedCallback() { this.render(); }
  attributeChangedCallback() { this.render(); }
  render() {
    if (!this.firstElementChild) this.append(document.createElement('span'));
    const max = Number(this.getAttribute('max')) || 0;
    const share = max ? Math.min(Math.max(Number(this.getAttribute('value')) / max, 0), 1) : 0;
    this.firstElementChild.style.width = `${(share * 100).toFixed(1)}%`;
  }
}

// <rm-level level="4" short> a level badge in its colour (0: grey)
class RmLevel extends HTMLElement {
  static get observedAttributes() { return ['level', 'short']; }
  connectedCallback() { this.render(); }
  attributeChangedCallback() { this.render(); }
  render() {
    const lv = Number(this.getAttribute('level')) || 0;
    this.style.setProperty('--c', LEVEL_COLOURS[lv] || '#9aa3ad');
    this.classList.toggle('none', !lv);
    this.textContent = t(this.hasAttribute('short') ? 'levelShort' : 'levels')[lv];
  }
}

// <rm-swatch colour="#E02020"> a colour chip
class RmSwatch extends HTMLElement {
  static get observedAttributes() { return ['colour']; }
  connectedCallback() { this.render(); }
  attributeChangedCallback() { this.render(); }
  render() { this.style.background = this.getAttribute('colour') || 'transparent'; }
}

for (const [name, cls] of [['rm-bar', RmBar], ['rm-level', RmLevel], ['rm-swatch', RmSwatch]]) {
  if (!customElements.get(name)) customElements.define(name, cls);
}

export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
