// Settings read at start from config.json next to index.html (web/dist/config.json
// once built). Nothing here may point outside the server by default.
export const config = { tileUrl: '', tileAttribution: '', tileMaxZoom: 18 };

export async function loadConfig() {
  try {
    const r = await fetch('./config.json', { cache: 'no-cache' });
    if (r.ok) Object.assign(config, await r.json());
  } catch { /* the defaults */ }
}
