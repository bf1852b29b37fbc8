// e2e.mjs - the operator page end to end in a real browser.
//
// A private mosquitto, the real engine and the simulator playing the
// exercise-run scenario (one walker crosses the border, a patrol drives, all
// exercise-marked) at 25x; the page served by web/serve.mjs and opened in
// headless chromium. Checks: the zones are drawn (one SVG path per zone, and
// our side marked), the EXERCISE banner shows, tracks appear and move on
// screen, the patrol unit and the sensors are listed, an INCURSION alert
// arrives with its explanation, selecting it highlights its track, and an
// acknowledgement comes back from the engine (state ACKNOWLEDGED, and the
// alert's operator.acknowledged_by, which only the engine writes). A second
// page opened after the INCURSION was raised shows it at once, from the
// engine's retained snapshot of the live alerts (alerts/live), before any
// alert message reached it. Screenshots go to --out.
//
// Usage: node tests/web/e2e.mjs --bin BUILD_DIR --web BUILT_PAGE_DIR --out OUT_DIR

import fs from 'node:fs';
import path from 'node:path';
import * as H from './harness.mjs';

const SCENARIO = 'config/scenarios/exercise-run';
const TIME_SCALE = '25';

async function markerPos(page, id) {
  return page.evaluate((tid) => {
    const el = document.querySelector(`.trk[data-track="${tid}"]`);
    if (!el)
      return null;
    const r = el.getBoundingClientRect();
    const ll = window.__bf.model.tracks.get(tid);
    return { x: r.x, y: r.y, lat: ll ? ll.lat : null, lon: ll ? ll.lon : null };
  }, id);
}

H.main(async () => {
  const o = H.parseArgs(process.argv.slice(2));
  H.requireTools(o);
  fs.mkdirSync(o.out, { recursive: true });
  const tmp = H.tmpDir('e2e');

  const broker = await H.startMosquitto(tmp);
  const pageCfg = path.join(tmp, 'config.json');
  fs.writeFileSync(pageCfg, JSON.stringify({ site: 'exercise-run', ws_url: null, tile_url: null }));
  const { startServer } = await import(path.join(H.SRC, 'web', 'serve.mjs'));
  const server = await startServer({ root: o.web, broker: { port: broker.port }, config: pageCfg });
  H.onCleanup(() => server.close());
  console.log(`page ${server.url}, broker 127.0.0.1:${broker.port}`);

  const url = `tcp://127.0.0.1:${broker.port}`;
  const engine = H.run(path.join(o.bin, 'apps/borderfuse'),
    ['--config', path.join(H.SRC, `${SCENARIO}.engine.json`), '--mqtt-url', url,
     '--journal', path.join(tmp, 'journal.jsonl')], path.join(o.out, 'engine.log'));

  const browser = await H.launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const consoleErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error')
      consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  await page.goto(server.url);
  await page.fill('#login-user', 'alice');
  await page.click('#login-go');
  await page.waitForSelector('.conn.ok', { timeout: 10000 });
  H.check(await page.locator('#login').isHidden(), 'login form hidden after connecting');

  // Zones: retained, published by the engine at start.
  const zonesFile = JSON.parse(fs.readFileSync(path.join(H.SRC, 'config/scenarios/zones.geojson')));
  await page.waitForSelector('path.zone-border_line', { state: 'attached', timeout: 10000 });
  for (const f of zonesFile.features) {
    const n = await page.locator(`path.zone-${f.properties.kind}`).count();
    H.check(n >= 1, `zone ${f.properties.id} (${f.properties.kind}) drawn as an SVG path (${n})`);
  }
  H.check(await page.locator('path.our-side').count() >= 1, 'our side of the border marked (band)');
  H.check(await page.locator('.our-side-label').count() >= 1, 'our side of the border labelled');

  const sim = H.run(path.join(o.bin, 'apps/borderfuse-sim'),
    ['--scenario', path.join(H.SRC, `${SCENARIO}.json`), '--mqtt-url', url,
     '--time-scale', TIME_SCALE, '--settle-s', '1', '--quiet'], path.join(o.out, 'sim.log'));

  // Tracks appear, then move on screen.
  await page.waitForSelector('.trk[data-track]', { timeout: 20000 });
  const id = Number(await page.getAttribute('.trk[data-track]', 'data-track'));
  const p0 = await markerPos(page, id);
  // until its marker has moved 2 px (how far a picture moves it depends on the zoom and on
  // when the pictures fall; the check below says what was seen when it never does)
  await page.waitForFunction(([tid, x0, y0]) => {
    const el = document.querySelector(`.trk[data-track="${tid}"]`);
    if (!el)
      return false;
    const r = el.getBoundingClientRect();
    return Math.hypot(r.x - x0, r.y - y0) >= 2;
  }, [id, p0.x, p0.y], { timeout: 20000 }).catch(() => {});
  const p1 = await markerPos(page, id);
  const moved = p1 ? Math.hypot(p1.x - p0.x, p1.y - p0.y) : 0;
  H.check(moved >= 2 && p1.lat !== p0.lat, `track ${id} moved on screen with its track: ` +
          `${moved.toFixed(1)} px (${p0.lat.toFixed(5)} -> ${p1 ? p1.lat.toFixed(5) : '-'})`);
  const lbl = await page.textContent(`.trk[data-track="${id}"] .lbl`);
  H.check(/^\d+ \d+%$/.test(lbl.trim()), `track label shows id and confidence: "${lbl.trim()}"`);
  H.check(await page.locator('#exercise').isVisible(), 'EXERCISE banner shown for exercise data');
  await page.screenshot({ path: path.join(o.out, 'tracks.png') });

  // The incursion.
  const card = page.locator('#alerts li.alert', { has: page.locator('.type', { hasText: 'INCURSION' }) })
    .first();
  await card.waitFor({ timeout: 30000 });
  const alertId = await card.getAttribute('data-alert-id');
  const expl = await card.locator('.a-expl').textContent();
  H.check(/crossed .* onto our side/.test(expl), `INCURSION explained: "${expl}"`);
  const meta = await card.locator('.a-meta').textContent();
  H.check(/Sensors: radar-/.test(meta) && /crossed at \d\d:\d\d:\d\dZ/.test(meta),
          `sensors and crossing time shown: "${meta}"`);
  const sevText = await card.locator('.sev-text').textContent();
  H.check(/HIGH|CRITICAL/.test(sevText) && await card.locator('.sev-shape').count() === 1,
          `severity as text and shape, not colour alone: "${sevText}"`);
  const units = await page.locator('#units tr[data-unit="patrol-2"]').count();
  H.check(units === 1, 'unit patrol-2 listed');
  const sensors = await page.locator('#sensors tr[data-sensor]').count();
  H.check(sensors === 2, `both sensors listed (${sensors})`);
  H.check(await page.locator('.unit[data-unit="patrol-2"]').count() === 1, 'unit patrol-2 on the map');
  // The engine's proposal for dispatch: the nearest unit and its ETA, on the card.
  const proposed = await card.locator('.a-meta', { hasText: /nearest unit patrol-2, ETA \d+ (s|min)/ })
    .waitFor({ timeout: 20000 }).then(() => true, () => false);
  H.check(proposed, `nearest unit and ETA shown: "${await card.locator('.a-meta').textContent()}"`);

  // A page opened now (another operator logging in) shows the incursion at
  // once, from the retained snapshot. Wait until a snapshot holding it was
  // published: its seq reaches what page 1 knows of the alert.
  const knownSeq = await page.evaluate((aid) => window.__bf.model.alerts.get(aid).seq, alertId);
  await page.waitForFunction((s) => window.__bfStats.liveSeq !== null && window.__bfStats.liveSeq >= s,
    knownSeq, { timeout: 10000 });
  const ctx2 = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page2 = await ctx2.newPage();
  page2.on('pageerror', (e) => consoleErrors.push(`page 2: ${e}`));
  await page2.goto(server.url);
  await page2.fill('#login-user', 'bob');
  const t2 = Date.now();
  await page2.click('#login-go');
  const seen2 = await page2.waitForSelector(`#alerts li[data-alert-id="${alertId}"]`, { timeout: 5000 })
    .then(() => Date.now() - t2).catch(() => null);
  const via2 = await page2.evaluate((aid) => ({
    via: window.__bf.model.alertVia.get(aid) || null, snapshots: window.__bfStats.liveSnapshots,
    type: (window.__bf.model.alerts.get(aid) || {}).type || null,
  }), alertId);
  H.check(seen2 !== null && via2.via === 'snapshot' && via2.type === 'INCURSION' &&
          via2.snapshots >= 1,
          `a page opened after the incursion shows it ${seen2} ms after login, ` +
          `first learnt from the live snapshot (${via2.via}, ${via2.snapshots} snapshot(s))`);
  await page2.screenshot({ path: path.join(o.out, 'late-login.png') });
  await ctx2.close();

  // Selecting the alert highlights its track.
  await card.locator('.a-what').click();
  const trackId = Number(await card.getAttribute('data-track-id'));
  await page.waitForSelector(`.trk.selected[data-track="${trackId}"]`, { timeout: 5000 });
  H.check(true, `selecting the alert highlights track ${trackId}`);
  await page.screenshot({ path: path.join(o.out, 'incursion.png') });

  // Acknowledge; the state must come from the engine.
  // Click in the page and look in the same task: no MQTT message can arrive in
  // between, so whatever state is shown right after the click is the page's own.
  const atClick = await page.evaluate((aid) => {
    const li = document.querySelector(`#alerts li[data-alert-id="${aid}"]`);
    const seq = window.__bf.model.alerts.get(aid).seq;
    li.querySelector('button[data-act="acknowledge"]').click();
    return { state: li.dataset.state, seq, modelState: window.__bf.model.alerts.get(aid).state,
             pending: [...window.__bf.pending.values()].map((p) => p.action) };
  }, alertId);
  H.check(atClick.state !== 'ACKNOWLEDGED' && atClick.modelState !== 'ACKNOWLEDGED' &&
          atClick.pending.join() === 'acknowledge',
          `the click only sends a request (state still ${atClick.state}, pending ${atClick.pending})`);
  const answer = await page.waitForFunction((aid) => {
    const a = window.__bf.model.alerts.get(aid);
    const r = window.__bf.results.get(aid);
    if (a && a.state === 'ACKNOWLEDGED')
      return { state: a.state, by: a.operator ? a.operator.acknowledged_by : null, seq: a.seq };
    if (r && !r.ok)
      return { error: r.text };
    return null;
  }, alertId, { timeout: 15000 }).then((h) => h.jsonValue()).catch(() => ({ error: 'timeout' }));
  if (answer.error) {
    H.check(false, `acknowledge answered by the engine (${answer.error}): ` +
            'WAITING for the engine side of operator actions');
  } else {
    H.check(answer.by === 'alice' && answer.seq > atClick.seq,
            `engine's alert (seq ${atClick.seq} -> ${answer.seq}) says acknowledged_by alice`);
    await page.waitForFunction((aid) => {
      const li = document.querySelector(`#alerts li[data-alert-id="${aid}"]`);
      return li && li.dataset.state === 'ACKNOWLEDGED' && /Acknowledged by alice/.test(li.textContent);
    }, alertId, { timeout: 5000 });
    H.check(true, 'card shows ACKNOWLEDGED and "Acknowledged by alice"');
    const res = await card.locator('.a-result').textContent();
    H.check(/accepted/.test(res), `engine's result shown: "${res}"`);
  }
  await page.screenshot({ path: path.join(o.out, 'acknowledged.png') });
  // closer, for the README
  await page.evaluate((tid) => {
    const t = window.__bf.model.tracks.get(tid);
    if (t)
      window.__bf.view.map.setView([t.lat, t.lon], 14, { animate: false });
  }, trackId);
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(o.out, 'operator-page.png') });

  if (!answer.error) {
    // Assign the patrol, then close the alert as a false alarm: each shown from the engine's answer.
    await card.locator('select.unit-sel').selectOption('patrol-2');
    await card.locator('button[data-act="assign"]').click();
    const assigned = await page.waitForFunction((aid) => {
      const a = window.__bf.model.alerts.get(aid);
      return a && a.operator && a.operator.assigned_unit ? a.operator.assigned_unit : null;
    }, alertId, { timeout: 15000 }).then((h) => h.jsonValue()).catch(() => null);
    H.check(assigned === 'patrol-2', `engine's alert says unit ${assigned} assigned`);
    await page.waitForFunction((aid) =>
      /unit patrol-2 assigned/.test(document.querySelector(`li[data-alert-id="${aid}"] .a-op`).textContent),
    alertId, { timeout: 5000 });
    await page.waitForFunction((aid) => ![...window.__bf.pending.values()].some((p) => p.alertId === aid),
      alertId, { timeout: 15000 });
    await card.locator('button[data-act="false_alarm"]').click();
    const closed = await page.waitForSelector(
      `#closed li[data-alert-id="${alertId}"][data-state="FALSE_ALARM"]`,
      { state: 'attached', timeout: 15000 }).then(() => true).catch(() => false);
    H.check(closed, 'false alarm: the engine closed the alert and the page moved it to Closed');
  }

  const st = await page.evaluate(() => window.__bfStats);
  console.log(`page: ${st.tracksMessages} track pictures, ${st.alertsMessages} alert messages, ` +
              `${st.frames} frames, malformed ${st.malformed}`);
  H.check(st.tracksRendered === st.tracksMessages, 'every track picture drawn');
  H.check(consoleErrors.length === 0, `no errors in the page console ${JSON.stringify(consoleErrors)}`);
  void engine;
  void sim;
  console.log(`screenshots in ${o.out}`);
});
