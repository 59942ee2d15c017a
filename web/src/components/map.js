// The route map. With a tile URL configured (config.json `tileUrl`), a
// Leaflet map over those tiles; without one (the default: nothing is fetched
// from elsewhere) the stops drawn on a blank canvas. Stops need `lat`/`lon`;
// the API does not send them yet, so without them the stops are laid out in
// route order on the canvas, as a schematic.
import { h } from '../dom.js';
import { t } from '../i18n/index.js';
import { config } from '../config.js';

const COLOR = { planned: '#7f8c8d', scheduled: '#2f6fb0', checked_in: '#d68910', outcome_recorded: '#1e8449', closed: '#1e8449', cancelled: '#bbb' };

export function routeMap(stops, onPick) {
  const located = stops.filter((s) => Number.isFinite(s.lat) && Number.isFinite(s.lon));
  const haveCoords = located.length === stops.length && stops.length > 0;
  const box = h('div', { class: 'map' });
  const note = h('p', { class: 'map-note' });
  const wrap = h('div', { class: 'map-wrap' }, box, note);
  if (config.tileUrl && haveCoords) {
    requestAnimationFrame(() => leafletMap(box, located, onPick));
  } else {
    note.textContent = haveCoords ? t('field.mapNoTiles') : t('field.mapNoCoords');
    requestAnimationFrame(() => canvasMap(box, stops, haveCoords, onPick));
  }
  return wrap;
}

// Leaflet is loaded only when there are tiles to show.
async function leafletMap(box, stops, onPick) {
  const [{ default: L }] = await Promise.all([import('leaflet'), import('leaflet/dist/leaflet.css')]);
  const map = L.map(box, { zoomControl: true, attributionControl: !!config.tileAttribution });
  if (map.attributionControl) map.attributionControl.setPrefix('Leaflet');
  L.tileLayer(config.tileUrl, { maxZoom: config.tileMaxZoom || 18, attribution: config.tileAttribution || '' }).addTo(map);
  const pts = stops.map((s) => [s.lat, s.lon]);
  L.polyline(pts, { color: '#2f6fb0', weight: 3, opacity: 0.7 }).addTo(map);
  stops.forEach((s) => {
    L.circleMarker([s.lat, s.lon], { radius: 12, color: '#fff', weight: 2, fillColor: COLOR[s.state] || '#2f6fb0', fillOpacity: 1 })
      .addTo(map)
      .bindTooltip(String(s.route_seq), { permanent: true, direction: 'center', className: 'stop-label' })
      .on('click', () => onPick && onPick(s));
  });
  map.fitBounds(L.latLngBounds(pts).pad(0.2));
}

// Stops on a blank canvas: projected from lat/lon when known, else on a
// zig-zag in route order. Tapping a stop picks it.
function canvasMap(box, stops, haveCoords, onPick) {
  const W = box.clientWidth || 320;
  const H = box.clientHeight || 240;
  const dpr = window.devicePixelRatio || 1;
  const c = h('canvas', { width: Math.round(W * dpr), height: Math.round(H * dpr), class: 'map-canvas' });
  box.append(c);
  const g = c.getContext('2d');
  g.scale(dpr, dpr);
  const pad = 28;
  let pos;
  if (haveCoords) {
    const lats = stops.map((s) => s.lat), lons = stops.map((s) => s.lon);
    const [a0, a1, o0, o1] = [Math.min(...lats), Math.max(...lats), Math.min(...lons), Math.max(...lons)];
    const sx = (W - 2 * pad) / Math.max(o1 - o0, 1e-6), sy = (H - 2 * pad) / Math.max(a1 - a0, 1e-6);
    const s = Math.min(sx, sy);
    pos = stops.map((p) => [pad + (p.lon - o0) * s, H - pad - (p.lat - a0) * s]);
  } else {
    const n = stops.length, cols = Math.max(1, Math.min(n, 4)), rows = Math.ceil(n / cols);
    pos = stops.map((_, i) => {
      const r = Math.floor(i / cols), k = r % 2 ? cols - 1 - (i % cols) : i % cols;
      return [pad + (cols === 1 ? (W - 2 * pad) / 2 : k * (W - 2 * pad) / (cols - 1)),
        pad + (rows === 1 ? (H - 2 * pad) / 2 : r * (H - 2 * pad) / (rows - 1))];
    });
  }
  g.fillStyle = '#f4f6f8';
  g.fillRect(0, 0, W, H);
  g.strokeStyle = '#2f6fb0'; g.lineWidth = 3; g.globalAlpha = 0.6;
  g.beginPath();
  pos.forEach(([x, y], i) => (i ? g.lineTo(x, y) : g.moveTo(x, y)));
  g.stroke();
  g.globalAlpha = 1;
  stops.forEach((s, i) => {
    const [x, y] = pos[i];
    g.beginPath(); g.arc(x, y, 14, 0, Math.PI * 2);
    g.fillStyle = COLOR[s.state] || '#2f6fb0'; g.fill();
    g.lineWidth = 2; g.strokeStyle = '#fff'; g.stroke();
    g.fillStyle = '#fff'; g.font = 'bold 13px sans-serif'; g.textAlign = 'center'; g.textBaseline = 'middle';
    g.fillText(String(s.route_seq ?? i + 1), x, y);
  });
  c.addEventListener('click', (ev) => {
    const r = c.getBoundingClientRect();
    const x = ev.clientX - r.left, y = ev.clientY - r.top;
    const i = pos.findIndex(([px, py]) => (px - x) ** 2 + (py - y) ** 2 < 22 ** 2);
    if (i >= 0 && onPick) onPick(stops[i]);
  });
}
