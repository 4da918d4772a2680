// The page's state in one small store: main.js keeps the map's state in `store.state`; panels
// read it and listen for what changed ('run', 'lang', 'map', 'user', 'plan') instead of keeping
// copies in the DOM.
const listeners = new Map();

export const store = {
  state: {},
  on(event, fn) {
    if (!listeners.has(event)) listeners.set(event, new Set());
    listeners.get(event).add(fn);
    return () => listeners.get(event).delete(fn);
  },
  emit(event, payload) {
    for (const fn of listeners.get(event) || []) {
      try { fn(payload); } catch (err) { console.error(err); } // one panel's fault stays its own
    }
  },
  // the signed-in user as the warnings panel stored it (sessionStorage), or null
  user() {
    try { return JSON.parse(sessionStorage.getItem('riskmap.user') || 'null'); } catch { return null; }
  },
  hasRole(role) {
    const rank = { viewer: 0, operator: 1, admin: 2 };
    const u = store.user();
    return Boolean(u) && rank[u.role] >= rank[role];
  },
};
window.riskmapStore = store; // for the browser tests
