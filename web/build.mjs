// build.mjs - assemble the operator page into one folder that needs nothing
// from the network: our sources (web/src) plus the vendored libraries taken
// from node_modules (Leaflet, the mqtt.js browser bundle), and a default
// config.json (the demo writes its own).
//
// Usage: node web/build.mjs OUTDIR      (scripts/web.sh runs it; OUTDIR is
//        usually <build dir>/web)

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = process.argv[2];
if (!out) {
  console.error('usage: node web/build.mjs OUTDIR');
  process.exit(2);
}

const vendor = [
  ['node_modules/leaflet/dist/leaflet.js', 'vendor/leaflet/leaflet.js'],
  ['node_modules/leaflet/dist/leaflet.css', 'vendor/leaflet/leaflet.css'],
  ['node_modules/leaflet/dist/images', 'vendor/leaflet/images'],
  ['node_modules/leaflet/LICENSE', 'vendor/leaflet/LICENSE'],
  ['node_modules/mqtt/dist/mqtt.min.js', 'vendor/mqtt/mqtt.min.js'],
  ['node_modules/mqtt/LICENSE.md', 'vendor/mqtt/LICENSE.md'],
];

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(out, { recursive: true });
fs.cpSync(path.join(here, 'src'), out, { recursive: true });
for (const [from, to] of vendor) {
  const src = path.join(here, from);
  if (!fs.existsSync(src)) {
    console.error(`build.mjs: ${from} missing: run "npm ci" in web/ (scripts/web.sh does)`);
    process.exit(1);
  }
  fs.mkdirSync(path.dirname(path.join(out, to)), { recursive: true });
  fs.cpSync(src, path.join(out, to), { recursive: true });
}
// Defaults: site "demo", the MQTT WebSocket on the page's own origin (/mqtt), no tiles.
const config = { site: 'demo', ws_url: null, tile_url: null, tile_attribution: null };
fs.writeFileSync(path.join(out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
console.log(`operator page built in ${out}`);
