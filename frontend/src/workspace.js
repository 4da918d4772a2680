// The workspace: a wide panel over the map for work that needs room (the 叫应 ledger, the admin
// page). One at a time; closing it gives the map back (which re-fits itself).
import { t } from './i18n.js';

const $ = (id) => document.getElementById(id);
let current = null;

export function openWorkspace(name, title) {
  current = name;
  const ws = $('workspace');
  ws.hidden = false;
  ws.dataset.view = name;
  document.body.dataset.workspace = name;
  $('ws-title').textContent = title;
  $('ws-close').title = t('close');
  return $('ws-body');
}

export function closeWorkspace() {
  current = null;
  $('workspace').hidden = true;
  delete document.body.dataset.workspace;
  $('ws-body').innerHTML = '';
}

export function workspaceShows(name) { return current === name; }

export function startWorkspace() {
  $('ws-close').addEventListener('click', closeWorkspace);
  document.addEventListener('keydown', (e) => { if (e.key === 'Escape' && current) closeWorkspace(); });
}
