// The page's Content-Security-Policy allows styles from this origin only (style-src 'self'), so
// the browser ignores style="…" attributes in markup. Templates write the few computed styles as
// data-css-bg (background), data-css-c (the --c colour variable) and data-css-w (width in %);
// this observer sets them through the CSSOM, which the policy allows, as soon as they appear
// (before the next paint), wherever they appear: panels, lists, map popups.
const SELECTOR = '[data-css-bg],[data-css-c],[data-css-w]';

function apply(el) {
  const d = el.dataset;
  if (d.cssBg !== undefined) el.style.background = d.cssBg;
  if (d.cssC !== undefined) el.style.setProperty('--c', d.cssC);
  if (d.cssW !== undefined) el.style.width = `${d.cssW}%`;
}

export function applyStyles(root) {
  if (root.matches?.(SELECTOR)) apply(root);
  root.querySelectorAll?.(SELECTOR).forEach(apply);
}

new MutationObserver((records) => {
  for (const r of records) {
    if (r.type === 'attributes') apply(r.target);
    else r.addedNodes.forEach((n) => { if (n.nodeType === 1) applyStyles(n); });
  }
}).observe(document.documentElement, {
  childList: true, subtree: true, attributes: true, attributeFilter: ['data-css-bg', 'data-css-c', 'data-css-w'],
});
applyStyles(document.documentElement);
