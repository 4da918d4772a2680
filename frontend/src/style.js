// The MapLibre style, drawn entirely from our own layers: no external base map, sprites or glyphs.
// Without a `glyphs` URL MapLibre draws label text with the browser's local fonts.
import { LEVEL_COLOURS } from './i18n.js';

export const RISK_LAYERS = ['onemap', 'rain', 'fire', 'geohazard'];

const levelColour = ['match', ['get', 'level'], 1, LEVEL_COLOURS[1], 2, LEVEL_COLOURS[2], 3,
  LEVEL_COLOURS[3], 4, LEVEL_COLOURS[4], 'rgba(0,0,0,0)'];

function tiles(layer, params) {
  const query = new URLSearchParams(params).toString();
  return [`${location.origin}/tiles/${layer}/{z}/{x}/{y}.pbf${query ? `?${query}` : ''}`];
}

export function buildStyle({ runId, planId, relief, bounds, labels, unserved }) {
  const run = runId ? { run: runId } : {};
  const sources = {
    county: { type: 'vector', tiles: tiles('county', {}), maxzoom: 14, bounds },
    townships: { type: 'vector', tiles: tiles('townships', run), maxzoom: 14, bounds },
    villages: { type: 'vector', tiles: tiles('villages', run), minzoom: 6, maxzoom: 14, bounds },
    shelters: { type: 'vector', tiles: tiles('shelters', run), minzoom: 6, maxzoom: 14, bounds },
    hazard_sites: { type: 'vector', tiles: tiles('hazard_sites', {}), minzoom: 8, maxzoom: 14, bounds },
    roads: { type: 'vector', tiles: tiles('roads', run), maxzoom: 14, bounds },
    rivers: { type: 'vector', tiles: tiles('rivers', {}), maxzoom: 14, bounds },
  };
  for (const h of RISK_LAYERS) {
    if (runId) sources[h] = { type: 'vector', tiles: tiles(h, run), maxzoom: 14, bounds };
  }
  if (planId) sources.routes = { type: 'vector', tiles: tiles('routes', { plan: planId }), maxzoom: 14, bounds };
  sources.unserved = { type: 'geojson', data: unserved || { type: 'FeatureCollection', features: [] } };
  if (relief) sources.relief = { type: 'image', url: relief.url, coordinates: relief.coordinates };
  // one label per township, at a point inside it (polygon labels would repeat on every tile)
  sources.township_labels = { type: 'geojson', data: labels || { type: 'FeatureCollection', features: [] } };

  const layers = [
    { id: 'background', type: 'background', paint: { 'background-color': '#eef1f4' } },
  ];
  if (relief) layers.push({ id: 'relief', type: 'raster', source: 'relief', paint: { 'raster-opacity': 0.95, 'raster-fade-duration': 0 } });
  for (const h of RISK_LAYERS) {
    if (!runId) continue;
    layers.push({
      id: `${h}-fill`, type: 'fill', source: h, 'source-layer': h,
      layout: { visibility: h === 'onemap' ? 'visible' : 'none' },
      paint: { 'fill-color': levelColour, 'fill-opacity': 0.7, 'fill-antialias': false },
    });
  }
  layers.push(
    { id: 'townships-fill', type: 'fill', source: 'townships', 'source-layer': 'townships',
      paint: { 'fill-color': '#000', 'fill-opacity': 0 } },
    { id: 'townships-warning', type: 'line', source: 'townships', 'source-layer': 'townships',
      filter: ['>', ['get', 'warning_level'], 0],
      paint: { 'line-color': ['match', ['get', 'warning_level'], 1, LEVEL_COLOURS[1], 2, LEVEL_COLOURS[2], 3, LEVEL_COLOURS[3], LEVEL_COLOURS[4]],
               'line-width': 4, 'line-dasharray': [2, 1] } },
    { id: 'townships-line', type: 'line', source: 'townships', 'source-layer': 'townships',
      paint: { 'line-color': '#4a4f57', 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 0.6, 12, 1.5], 'line-dasharray': [3, 2] } },
    { id: 'townships-selected', type: 'line', source: 'townships', 'source-layer': 'townships',
      filter: ['==', ['get', 'code'], ''], paint: { 'line-color': '#111', 'line-width': 3 } },
    { id: 'county-line', type: 'line', source: 'county', 'source-layer': 'county',
      paint: { 'line-color': '#1b1f24', 'line-width': 2.5 } },
    { id: 'rivers', type: 'line', source: 'rivers', 'source-layer': 'rivers',
      paint: { 'line-color': '#3b7fd1', 'line-width': ['match', ['get', 'kind'], 'main', 3, 1.6] } },
    { id: 'roads', type: 'line', source: 'roads', 'source-layer': 'roads',
      paint: {
        'line-color': ['case', ['get', 'closed'], '#b00020', ['match', ['get', 'class'], 'county', '#8a5a2b', 'township', '#a3845f', '#b9a58c']],
        'line-width': ['match', ['get', 'class'], 'county', 2, 'township', 1.3, 0.8],
        'line-dasharray': ['case', ['get', 'closed'], ['literal', [1, 1]], ['literal', [1, 0]]],
      } },
    // flooded (the run's rain is red there): evacuation routes avoid them
    { id: 'roads-flooded', type: 'line', source: 'roads', 'source-layer': 'roads', filter: ['==', ['get', 'flooded'], true],
      paint: { 'line-color': '#0d47a1', 'line-width': 3, 'line-dasharray': [2, 1.5], 'line-opacity': 0.9 } },
  );
  if (planId) {
    layers.push({ id: 'routes', type: 'line', source: 'routes', 'source-layer': 'routes',
      paint: { 'line-color': '#6a1b9a', 'line-width': ['interpolate', ['linear'], ['get', 'persons'], 0, 1.5, 2000, 6] } });
  }
  layers.push(
    { id: 'hazard_sites', type: 'circle', source: 'hazard_sites', 'source-layer': 'hazard_sites',
      paint: { 'circle-radius': 3.5, 'circle-color': '#7b3f00', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } },
    { id: 'villages', type: 'circle', source: 'villages', 'source-layer': 'villages',
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['get', 'population'], 200, 2.5, 5000, 6, 15000, 9],
        'circle-color': '#ffffff', 'circle-stroke-color': ['match', ['get', 'level'], 4, LEVEL_COLOURS[4], 3, LEVEL_COLOURS[3], '#333'],
        'circle-stroke-width': ['match', ['get', 'level'], 4, 2.5, 3, 2, 1] } },
    { id: 'shelters', type: 'circle', source: 'shelters', 'source-layer': 'shelters',
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['get', 'capacity'], 100, 4, 7000, 10],
        'circle-color': ['case', ['get', 'safe'], '#1b8a3a', '#6b6b6b'],
        'circle-stroke-color': ['case', ['get', 'safe'], '#ffffff', '#e02020'], 'circle-stroke-width': 1.5 } },
    { id: 'unserved', type: 'circle', source: 'unserved',
      paint: { 'circle-radius': 11, 'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': '#6a1b9a', 'circle-stroke-width': 3 } },
    { id: 'townships-label', type: 'symbol', source: 'township_labels',
      layout: { 'text-field': ['get', 'name'], 'text-font': ['sans-serif'], 'text-size': 14 },
      paint: { 'text-color': '#1b1f24', 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 } },
    { id: 'villages-label', type: 'symbol', source: 'villages', 'source-layer': 'villages', minzoom: 11,
      layout: { 'text-field': ['get', 'name'], 'text-font': ['sans-serif'], 'text-size': 11, 'text-offset': [0, 1.1], 'text-anchor': 'top' },
      paint: { 'text-color': '#333', 'text-halo-color': '#fff', 'text-halo-width': 1.2 } },
  );
  return { version: 8, name: 'riskmap one-map', sources, layers };
}

// which style layers each toggle controls
export const TOGGLES = {
  onemap: ['onemap-fill'], rain: ['rain-fill'], fire: ['fire-fill'], geohazard: ['geohazard-fill'],
  townships: ['townships-line', 'townships-label', 'townships-warning'], villages: ['villages', 'villages-label'],
  shelters: ['shelters'], hazard_sites: ['hazard_sites'], roads: ['roads', 'roads-flooded'], routes: ['routes', 'unserved'], relief: ['relief'],
};
