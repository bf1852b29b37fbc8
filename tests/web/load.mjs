// load.mjs - can the operator page keep up with 1,000 live tracks at 1 Hz?
//
// A publisher sends the engine's track picture (borderfuse/<site>/tracks, the
// format of publish_tracks in engine/engine.c) with 1,000 moving tracks once a
// second for DURATION_S seconds, stamping each picture's "published" with its
// wall time. The page (headless chromium) records per picture its processing
// time and the lag from publication to drawing (window.__bfStats). The test
// prints p50/p95/max and asserts only that every picture was received and
// drawn, with no backlog left: timings are figures, not pass/fail.
//
// Usage: node tests/web/load.mjs --bin BUILD_DIR --web BUILT_PAGE_DIR --out OUT_DIR
//        [--tracks N] [--seconds S]

import fs from 'node:fs';
import path from 'node:path';
import * as H from './harness.mjs';

const SITE = 'load';

function picture(n, k, t0) {
  const tracks = [];
  for (let i = 0; i < n; i++) {
    // tracks spread over 20 x 12 km around 46.8 N 8.2 E, each walking its own way
    const a = (i * 2.399963) % (2 * Math.PI);
    // an even spread (the R2 low-discrepancy sequence), then 11-16 m per second
    const lat = 46.75 + ((i * 0.7548776662) % 1) * 0.11 + Math.sin(a) * 1e-4 * k;
    const lon = 8.07 + ((i * 0.5698402910) % 1) * 0.26 + Math.cos(a) * 1.5e-4 * k;
    tracks.push({
      id: i + 1, status: 'confirmed', lat: Math.round(lat * 1e7) / 1e7,
      lon: Math.round(lon * 1e7) / 1e7, speed_mps: 1.4, heading_deg: Math.round(((90 - a * 57.2958) + 360) % 360),
      class: ['person', 'vehicle', 'animal', 'vessel', 'unknown'][i % 5], class_p: 0.8,
      confidence: 0.7, exercise: false,
    });
  }
  return {
    site: SITE, time: new Date(t0 + k * 1000).toISOString(),
    published: new Date().toISOString(), tracks,
  };
}

H.main(async () => {
  const o = H.parseArgs(process.argv.slice(2));
  H.requireTools(o);
  const nTracks = Number(o.tracks || 1000);
  const seconds = Number(o.seconds || 20);
  fs.mkdirSync(o.out, { recursive: true });
  const tmp = H.tmpDir('load');
  const broker = await H.startMosquitto(tmp);
  const pageCfg = path.join(tmp, 'config.json');
  fs.writeFileSync(pageCfg, JSON.stringify({ site: SITE }));
  const { startServer } = await import(path.join(H.SRC, 'web', 'serve.mjs'));
  const server = await startServer({ root: o.web, broker: { port: broker.port }, config: pageCfg });
  H.onCleanup(() => server.close());

  const mqtt = H.webRequire('mqtt');
  const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`,
                                      { clientId: 'bf-load-publisher', reconnectPeriod: 0 });
  H.onCleanup(() => pub.endAsync(true).catch(() => {}));
  const zones = fs.readFileSync(path.join(H.SRC, 'config/scenarios/zones.geojson'));
  await pub.publishAsync(`borderfuse/${SITE}/zones`, zones, { qos: 1, retain: true });

  const browser = await H.launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.goto(server.url);
  await page.fill('#login-user', 'loadtest');
  await page.click('#login-go');
  await page.waitForSelector('.conn.ok', { timeout: 10000 });
  await page.waitForSelector('path.zone-border_line', { state: 'attached', timeout: 10000 });

  const t0 = Date.parse('2026-03-01T02:00:00Z');
  let sent = 0, bytes = 0;
  const start = Date.now();
  for (let k = 0; k < seconds; k++) {
    const due = start + k * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
    const txt = JSON.stringify(picture(nTracks, k, t0));
    bytes = txt.length;
    await pub.publishAsync(`borderfuse/${SITE}/tracks`, txt, { qos: 0 });
    sent++;
  }
  await page.waitForFunction((n) => window.__bfStats.tracksRendered >= n, sent, { timeout: 15000 })
    .catch(() => {});
  const st = await page.evaluate(() => ({
    ...window.__bfStats, pending: window.__bf.pendingLag.length,
    markers: document.querySelectorAll('.trk[data-track]').length,
  }));
  await page.screenshot({ path: path.join(o.out, 'load.png') });

  const f = (xs) => `p50 ${H.pct(xs, 50).toFixed(1)}  p95 ${H.pct(xs, 95).toFixed(1)}  max ${Math.max(...xs).toFixed(1)} ms`;
  console.log(`load: ${nTracks} tracks x ${sent} pictures at 1 Hz, ${(bytes / 1024).toFixed(0)} KiB each`);
  console.log(`  processing per picture (parse + model): ${f(st.procMs)}`);
  console.log(`  DOM work per frame:                     ${f(st.renderMs)}`);
  console.log(`  lag published -> drawn:                 ${f(st.lagMs)}`);
  const first = st.lagMs.slice(0, 5), last = st.lagMs.slice(-5);
  console.log(`  lag median first 5 / last 5 pictures:   ${H.pct(first, 50).toFixed(1)} / ` +
              `${H.pct(last, 50).toFixed(1)} ms; frames ${st.frames}`);
  fs.writeFileSync(path.join(o.out, 'load-figures.json'), JSON.stringify({
    tracks: nTracks, pictures: sent, bytes, procMs: st.procMs, renderMs: st.renderMs, lagMs: st.lagMs,
  }) + '\n');

  H.check(st.tracksMessages === sent, `page received every picture (${st.tracksMessages}/${sent})`);
  H.check(st.tracksRendered === sent && st.pending === 0,
          `page drew every picture, none left waiting (${st.tracksRendered}/${sent}, backlog ${st.pending})`);
  H.check(st.lagMs.length === sent, `a lag figure per picture (${st.lagMs.length})`);
  H.check(st.maxTracks === nTracks && st.markers === nTracks,
          `all ${nTracks} tracks on the map (${st.markers} markers)`);
  H.check(st.malformed === 0, 'no malformed messages');
});
