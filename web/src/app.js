// app.js - the operator page: login, the MQTT subscriptions, the alert list
// with its actions, the sensor and unit panels, and the frame loop.
//
// Data flow: every MQTT message is parsed and folded into the model at once
// (model.js), which is cheap; drawing happens at most once per animation
// frame (render()), so a burst of messages costs one DOM update, and nothing
// is redrawn from scratch (markers move in place, alert cards are kept and
// only their changed fields rewritten).
//
// Alerts: every change arrives on .../alerts; the engine's retained snapshot of
// the live alerts (.../alerts/live) seeds the list at login, so an alert raised
// before the page connected shows at once. Per alert the higher seq wins,
// whichever topic it came on.
//
// Actions follow the operator protocol (docs/alerts.md): the page publishes a
// request on borderfuse/<site>/alerts/ack/<operator> and shows only what the
// engine answers - the alert with its new state on .../alerts and the result
// on .../alerts/result. It never sets a state itself.
//
// window.__bfStats holds the page's own figures (messages, processing time,
// lag from publication to drawing) for the browser tests and for anyone who
// opens the console.

/* global mqtt */
import * as M from './model.js';
import { createMap } from './map.js';

const $ = (sel, root = document) => root.querySelector(sel);
const RESULT_TIMEOUT_MS = 10000;
const CLOSED_SHOWN = 10;
const MAX_SAMPLES = 100000;

const SEV_SHAPES = {
  critical: '<polygon points="7,1 17,1 23,7 23,17 17,23 7,23 1,17 1,7"/><text x="12" y="17" text-anchor="middle">!!</text>',
  high: '<polygon points="12,1 23,22 1,22"/><text x="12" y="19" text-anchor="middle">!</text>',
  medium: '<rect x="3" y="3" width="18" height="18"/><text x="12" y="17" text-anchor="middle">-</text>',
  low: '<circle cx="12" cy="12" r="10"/><text x="12" y="16" text-anchor="middle">i</text>',
};

const stats = {
  tracksMessages: 0,      // track pictures received
  tracksRendered: 0,      // track pictures whose content has been drawn
  alertsMessages: 0,
  liveSnapshots: 0,       // snapshots of the live alerts received (alerts/live)
  liveSeq: null,          // "seq" of the latest snapshot (the highest alert seq in it)
  frames: 0,
  malformed: 0,
  maxTracks: 0,
  procMs: [],             // per track picture: parse + fold into the model
  renderMs: [],           // per frame: DOM work
  lagMs: [],              // per track picture: drawn (wall) - published by the engine (wall)
};
window.__bfStats = stats;

const state = {
  config: null,
  client: null,
  operator: null,
  topics: null,
  model: M.createModel(),
  view: null,
  cards: new Map(),           // alert id -> card {li, parts..., seq}
  selectedAlert: null,
  pending: new Map(),         // request_id -> {alertId, action, sentMs, timer}
  results: new Map(),         // alert id -> {text, ok}
  reqSeq: 0,
  dirty: { tracks: false, alerts: false, panels: false, zones: false, units: false },
  frameQueued: false,
  pendingLag: [],             // published wall ms of pictures not drawn yet
};
window.__bf = state;

function push(arr, v) {
  if (arr.length < MAX_SAMPLES)
    arr.push(v);
}

function schedule(what) {
  state.dirty[what] = true;
  if (!state.frameQueued) {
    state.frameQueued = true;
    requestAnimationFrame(render);
  }
}

// ---- MQTT ------------------------------------------------------------------

function topicsFor(site) {
  const b = `borderfuse/${site}`;
  return {
    tracks: `${b}/tracks`, alerts: `${b}/alerts`, result: `${b}/alerts/result`,
    live: `${b}/alerts/live`,
    status: `${b}/status`, sensors: `${b}/sensors/+/status`, units: `${b}/units/+`,
    zones: `${b}/zones`, ackPrefix: `${b}/alerts/ack/`, base: b,
  };
}

const decoder = new TextDecoder();

function onMessage(topic, payload) {
  const t = state.topics;
  const t0 = performance.now();
  let msg;
  try {
    msg = JSON.parse(decoder.decode(payload));
  } catch {
    stats.malformed++;
    return;
  }
  if (topic === t.tracks) {
    stats.tracksMessages++;
    if (M.applyTracks(state.model, msg)) {
      stats.maxTracks = Math.max(stats.maxTracks, state.model.tracks.size);
      state.pendingLag.push(state.model.tracksPublished);
      schedule('tracks');
    }
    push(stats.procMs, performance.now() - t0);
  } else if (topic === t.alerts) {
    stats.alertsMessages++;
    if (M.applyAlert(state.model, msg, Date.now()))
      schedule('alerts');
  } else if (topic === t.live) {
    stats.liveSnapshots++;
    stats.liveSeq = typeof msg.seq === 'number' ? msg.seq : null;
    if (M.applyLiveSnapshot(state.model, msg, Date.now()) > 0)
      schedule('alerts');
  } else if (topic === t.result) {
    onResult(msg);
  } else if (topic === t.status) {
    M.applyStatus(state.model, msg);
    schedule('panels');
  } else if (topic === t.zones) {
    if (M.applyZones(state.model, msg))
      schedule('zones');
  } else if (topic.startsWith(`${t.base}/sensors/`)) {
    if (M.applySensor(state.model, msg))
      schedule('panels');
  } else if (topic.startsWith(`${t.base}/units/`)) {
    if (M.applyUnit(state.model, topic.slice(`${t.base}/units/`.length), msg)) {
      schedule('units');
      schedule('panels');
    }
  }
  stats.malformed = state.model.malformed;
}

function setConn(text, cls) {
  const el = $('#conn');
  el.textContent = text;
  el.className = `conn ${cls}`;
}

function login(ev) {
  ev.preventDefault();
  const user = $('#login-user').value.trim();
  const pass = $('#login-pass').value;
  $('#login-pass').value = '';   // the password lives only in this call
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(user)) {
    $('#login-error').textContent = 'Operator name: letters, digits, . _ - (at most 64).';
    return;
  }
  $('#login-error').textContent = '';
  const cfg = state.config;
  const url = cfg.ws_url ||
    `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/mqtt`;
  const client = mqtt.connect(url, {
    username: user,
    password: pass || undefined,
    clientId: `bf-op-${user}-${Math.random().toString(16).slice(2, 10)}`,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 2000,
    connectTimeout: 8000,
  });
  state.client = client;
  state.operator = user;
  setConn(`connecting to ${url}`, 'wait');
  client.on('connect', () => {
    setConn(`connected as ${user}`, 'ok');
    $('#login').hidden = true;
    $('#operator').textContent = user;
    document.body.classList.add('logged-in');
    const t = state.topics;
    client.subscribe([t.zones, t.status, t.sensors, t.units, t.tracks], { qos: 0 });
    client.subscribe([t.alerts, t.live, t.result], { qos: 1 });
  });
  client.on('reconnect', () => setConn('reconnecting', 'wait'));
  client.on('close', () => {
    if (state.client === client)
      setConn('disconnected - retrying', 'bad');
  });
  client.on('error', (err) => {
    const refused = /not authori[sz]ed|bad user name or password|connection refused/i.test(err.message);
    if (refused) {
      client.end(true);
      state.client = null;
      $('#login').hidden = false;
      $('#login-error').textContent = `The broker refused the login: ${err.message}`;
      setConn('not logged in', 'bad');
    }
  });
  client.on('message', onMessage);
}

function logout() {
  if (state.client)
    state.client.end(true);
  state.client = null;
  document.body.classList.remove('logged-in');
  $('#login').hidden = false;
  setConn('not logged in', 'bad');
}

// ---- actions ---------------------------------------------------------------

function sendAction(alertId, action, unit, note) {
  if (!state.client || !state.client.connected) {
    state.results.set(alertId, { ok: false, text: 'Not connected: nothing sent.' });
    schedule('alerts');
    return;
  }
  const rid = `r-${state.operator}-${Date.now().toString(36)}-${++state.reqSeq}`;
  const req = { request_id: rid, alert_id: alertId, action, operator: state.operator };
  if (action === 'assign')
    req.unit = unit;
  if (note)
    req.note = note;
  const timer = setTimeout(() => {
    if (state.pending.delete(rid)) {
      state.results.set(alertId, {
        ok: false,
        text: `No answer from the engine to "${action}" in ${RESULT_TIMEOUT_MS / 1000} s; nothing changed here.`,
      });
      schedule('alerts');
    }
  }, RESULT_TIMEOUT_MS);
  state.pending.set(rid, { alertId, action, sentMs: Date.now(), timer });
  state.results.delete(alertId);
  state.client.publish(state.topics.ackPrefix + state.operator, JSON.stringify(req), { qos: 1 });
  schedule('alerts');
}

function onResult(r) {
  if (!r || typeof r.request_id !== 'string')
    return;
  const p = state.pending.get(r.request_id);
  if (!p)
    return;   // another operator's request
  clearTimeout(p.timer);
  state.pending.delete(r.request_id);
  state.results.set(p.alertId, r.ok === true
    ? { ok: true, text: `Engine: ${r.action} accepted${r.state ? ` (${r.state})` : ''}.` }
    : { ok: false, text: `Engine refused ${r.action}: ${r.error || 'no reason given'}.` });
  schedule('alerts');
}

// ---- the alert list ----------------------------------------------------------

function sevBadge(sev) {
  const s = SEV_SHAPES[sev] ? sev : 'low';
  return `<svg class="sev-shape" viewBox="0 0 24 24" width="28" height="28" aria-hidden="true">${SEV_SHAPES[s]}</svg><span class="sev-text">${esc(String(sev).toUpperCase())}</span>`;
}

function makeCard(a) {
  const li = document.createElement('li');
  li.className = 'alert';
  li.dataset.alertId = a.id;
  li.tabIndex = 0;
  li.innerHTML = `
    <div class="a-head"><span class="sev"></span><span class="type"></span>
      <span class="state"></span><span class="age" title="age on the event clock"></span></div>
    <div class="a-what"></div>
    <div class="a-expl"></div>
    <div class="a-meta"></div>
    <div class="a-op"></div>
    <div class="a-actions">
      <button type="button" data-act="acknowledge">Acknowledge</button>
      <span class="assign"><select class="unit-sel" aria-label="unit to assign"></select><button type="button" data-act="assign">Assign unit</button></span>
      <button type="button" data-act="resolve">Resolve</button>
      <button type="button" data-act="false_alarm">False alarm</button>
      <input class="note" type="text" placeholder="note (optional)" aria-label="note" maxlength="200">
    </div>
    <div class="a-result" role="status"></div>`;
  const card = {
    li, seq: -1,
    sev: $('.sev', li), type: $('.type', li), state: $('.state', li), age: $('.age', li),
    what: $('.a-what', li), expl: $('.a-expl', li), meta: $('.a-meta', li), op: $('.a-op', li),
    unitSel: $('.unit-sel', li), note: $('.note', li), result: $('.a-result', li),
    buttons: [...li.querySelectorAll('button')], units: '', resultText: null, busy: null,
  };
  li.addEventListener('click', (ev) => {
    const act = ev.target.closest('button')?.dataset.act;
    if (act) {
      sendAction(a.id, act, card.unitSel.value, card.note.value.trim());
      card.note.value = '';
      return;
    }
    if (ev.target.closest('select, input'))
      return;
    selectAlert(a.id);
  });
  li.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && ev.target === li)
      selectAlert(a.id);
  });
  return card;
}

function fillCard(card, a) {
  if (card.seq !== a.seq) {
    card.seq = a.seq;
    card.li.dataset.state = a.state;
    card.li.dataset.severity = a.severity;
    card.li.dataset.trackId = a.track_id == null ? '' : String(a.track_id);
    card.li.className = `alert sev-${a.severity} st-${a.state}`;
    card.sev.innerHTML = sevBadge(a.severity);
    card.type.textContent = a.type;
    card.state.textContent = a.state.replace('_', ' ');
    card.state.title = M.lostText(a);
    const zone = a.zone ? a.zone.name || a.zone.id : 'no zone';
    const conf = typeof a.confidence === 'number' ? `${Math.round(a.confidence * 100)}%` : '?';
    // SENSOR_FAULT, UGS_TRIGGER and an INCURSION of ground sensors alone have no track
    const who = a.track_id != null ? `Track ${a.track_id}`
      : a.sensor ? `Sensor ${a.sensor}` : 'No track';
    card.what.textContent = `${who} · ${a.class || 'unknown'} · ${zone} · confidence ${conf}`;
    card.expl.textContent = a.explanation || '';
    const parts = [];
    const lost = M.lostText(a);
    if (lost)
      parts.push(lost);
    if (Array.isArray(a.sensors) && a.sensors.length)
      parts.push(`Sensors: ${a.sensors.join(', ')}`);
    const cross = M.crossingText(a);
    if (cross)
      parts.push(cross);
    if (typeof a.distance_to_line_m === 'number')
      parts.push(`${Math.round(a.distance_to_line_m)} m from the line`);
    const units = a.dispatch && Array.isArray(a.dispatch.units) ? a.dispatch.units : [];
    if (units.length && units[0] && typeof units[0].id === 'string')
      parts.push(`nearest unit ${units[0].id}` +
                 (typeof units[0].eta_s === 'number' ? `, ETA ${M.fmtAge(units[0].eta_s)}` : ''));
    if (typeof a.camera === 'string' && a.camera)
      parts.push(`camera ${a.camera} cued`);
    if (a.exercise)
      parts.push('EXERCISE');
    card.meta.textContent = parts.join(' · ');
    const op = a.operator || {};
    const ops = [];
    if (op.acknowledged_by)
      ops.push(`Acknowledged by ${op.acknowledged_by}${op.acknowledged_time ? ` at ${M.fmtClock(op.acknowledged_time)}` : ''}`);
    if (op.assigned_unit)
      ops.push(`unit ${op.assigned_unit} assigned`);
    if (op.closed_by)
      ops.push(`closed by ${op.closed_by}`);
    card.op.textContent = ops.join(' · ');
    card.op.hidden = ops.length === 0;
  }
  const age = M.alertAgeS(state.model, a);
  const ageText = `${M.fmtAge(age)} ago`;
  if (card.age.textContent !== ageText)
    card.age.textContent = ageText;
  const closed = M.isClosed(a);
  let busy = null;
  for (const p of state.pending.values())
    if (p.alertId === a.id)
      busy = p.action;
  const r = state.results.get(a.id);
  const text = busy ? `Sent "${busy}", waiting for the engine...` : r ? r.text : '';
  if (card.resultText !== text) {
    card.result.textContent = text;
    card.result.className = `a-result ${busy ? 'wait' : r && !r.ok ? 'bad' : 'ok'}`;
    card.resultText = text;
  }
  const acked = a.state === 'ACKNOWLEDGED';
  if (card.busy !== busy || card.closed !== closed || card.acked !== acked) {
    for (const b of card.buttons)
      b.disabled = closed || busy !== null || (acked && b.dataset.act === 'acknowledge');
    card.busy = busy;
    card.closed = closed;
    card.acked = acked;
  }
  const units = [...state.model.units.keys()].sort().join('\n');
  if (card.units !== units) {
    const keep = card.unitSel.value;
    card.unitSel.replaceChildren(...units.split('\n').filter(Boolean).map((u) => new Option(u, u)));
    if (keep)
      card.unitSel.value = keep;
    card.units = units;
    card.li.querySelector('.assign').hidden = units === '';
  }
  card.li.classList.toggle('selected', state.selectedAlert === a.id);
}

function syncList(listEl, alerts) {
  const want = alerts.map((a) => {
    let c = state.cards.get(a.id);
    if (!c) {
      c = makeCard(a);
      state.cards.set(a.id, c);
    }
    fillCard(c, a);
    return c.li;
  });
  // Reorder only where the order changed (no remove/insert of unchanged rows).
  let node = listEl.firstElementChild;
  for (const li of want) {
    if (node === li) {
      node = node.nextElementSibling;
      continue;
    }
    listEl.insertBefore(li, node);
  }
  while (node) {
    const next = node.nextElementSibling;
    node.remove();
    node = next;
  }
}

function selectAlert(id) {
  state.selectedAlert = state.selectedAlert === id ? null : id;
  const a = state.selectedAlert ? state.model.alerts.get(id) : null;
  state.view.select(a ? a.track_id : null, a ? a.position : null);
  schedule('alerts');
  schedule('tracks');
}

function selectTrack(trackId) {
  const a = M.liveAlerts(state.model).find((x) => x.track_id === trackId);
  if (a) {
    state.selectedAlert = null;
    selectAlert(a.id);
    state.cards.get(a.id)?.li.scrollIntoView({ block: 'nearest' });
  } else {
    state.selectedAlert = null;
    state.view.select(state.view.selected === trackId ? null : trackId);
    schedule('alerts');
    schedule('tracks');
  }
}

// ---- panels --------------------------------------------------------------------

function statusCell(ok, warn, text) {
  const shape = ok ? '✔' : warn ? '▲' : '✖';
  return `<span class="st ${ok ? 'st-ok' : warn ? 'st-warn' : 'st-bad'}"><span class="st-shape" aria-hidden="true">${shape}</span> ${text}</span>`;
}

function esc(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderPanels() {
  const m = state.model;
  const e = m.engine;
  const eng = $('#engine');
  if (!e) {
    eng.innerHTML = statusCell(false, true, 'engine: no status yet');
  } else {
    const online = e.state === 'online';
    const trk = e.tracks ? `${e.tracks.confirmed} confirmed tracks` : '';
    const al = e.alerts ? `${e.alerts.live} live alerts` : '';
    eng.innerHTML = statusCell(online, false, `engine ${esc(e.state)}`) +
      ` <span class="muted">${esc([trk, al].filter(Boolean).join(' · '))}</span>`;
  }
  const rows = [...m.sensors.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((s) => {
    const fault = s.fault === true;
    const text = !s.open ? 'closed' : fault ? 'FAULT (silent)' : 'OK';
    const last = s.last_data ? M.fmtClock(s.last_data) : 'no data yet';
    return `<tr data-sensor="${esc(s.id)}"><td>${esc(s.id)}</td><td>${esc(s.type || '')}</td>` +
      `<td>${statusCell(s.open && !fault, s.open && !fault ? false : !fault, text)}</td>` +
      `<td>${esc(last)}</td></tr>`;
  });
  $('#sensors tbody').innerHTML = rows.join('') ||
    '<tr><td colspan="4" class="muted">no sensor status yet</td></tr>';
  const urows = [...m.units.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((u) => {
    const fix = u.mode >= 3 ? '3D fix' : u.mode === 2 ? '2D fix' : 'no fix';
    const spd = typeof u.speed_mps === 'number' ? `${u.speed_mps.toFixed(1)} m/s` : '';
    return `<tr data-unit="${esc(u.id)}"><td>${esc(u.id)}</td><td>${statusCell(u.mode >= 2, true, fix)}</td>` +
      `<td>${u.lat.toFixed(5)}, ${u.lon.toFixed(5)}</td><td>${esc(spd)}</td>` +
      `<td>${esc(M.fmtClock(u.time))}</td></tr>`;
  });
  $('#units tbody').innerHTML = urows.join('') ||
    '<tr><td colspan="5" class="muted">no unit reports yet</td></tr>';
}

function renderHeader() {
  const m = state.model;
  const ex = M.isExercise(m);
  const banner = $('#exercise');
  if (banner.hidden === ex)
    banner.hidden = !ex;
  const live = M.liveAlerts(m);
  $('#count-tracks').textContent = `${m.tracks.size} tracks`;
  $('#count-alerts').textContent = `${live.length} live alerts`;
  const age = m.tracksPublished === null ? null : (Date.now() - m.tracksPublished) / 1000;
  const ageEl = $('#picture-age');
  ageEl.textContent = age === null ? 'no track picture yet' : `picture ${M.fmtAge(age)} old`;
  ageEl.classList.toggle('stale', age !== null && age > 5);
}

// ---- the frame -----------------------------------------------------------------

function render() {
  state.frameQueued = false;
  const t0 = performance.now();
  const d = state.dirty;
  if (d.zones && state.model.zones)
    state.view.setZones(state.model.zones);
  if (d.tracks)
    state.view.syncTracks(state.model.tracks);
  if (d.units)
    state.view.syncUnits(state.model.units);
  if (d.alerts || d.tracks) {
    syncList($('#alerts'), M.liveAlerts(state.model));
    const closed = M.closedAlerts(state.model, CLOSED_SHOWN);
    syncList($('#closed'), closed);
    $('#closed-count').textContent = String(closed.length);
    $('#no-alerts').hidden = state.model.alerts.size > 0 &&
      M.liveAlerts(state.model).length > 0;
  }
  if (d.panels)
    renderPanels();
  renderHeader();
  state.dirty = { tracks: false, alerts: false, panels: false, zones: false, units: false };
  stats.frames++;
  push(stats.renderMs, performance.now() - t0);
  if (state.pendingLag.length) {
    const now = Date.now();
    for (const pub of state.pendingLag) {
      stats.tracksRendered++;
      if (pub !== null)
        push(stats.lagMs, now - pub);
    }
    state.pendingLag = [];
  }
}

// ---- start -----------------------------------------------------------------------

async function start() {
  let cfg = {};
  try {
    const r = await fetch('config.json', { cache: 'no-store' });
    cfg = await r.json();
  } catch {
    $('#login-error').textContent = 'config.json could not be read; using the defaults.';
  }
  state.config = {
    site: typeof cfg.site === 'string' && cfg.site ? cfg.site : 'demo',
    ws_url: typeof cfg.ws_url === 'string' && cfg.ws_url ? cfg.ws_url : null,
    tile_url: typeof cfg.tile_url === 'string' && cfg.tile_url ? cfg.tile_url : null,
    tile_attribution: typeof cfg.tile_attribution === 'string' ? cfg.tile_attribution : null,
  };
  state.topics = topicsFor(state.config.site);
  $('#site').textContent = state.config.site;
  state.view = createMap($('#map'), state.config, selectTrack);
  $('#login-form').addEventListener('submit', login);
  $('#logout').addEventListener('click', logout);
  setInterval(() => {
    schedule('alerts');
    renderHeader();
  }, 1000);
  schedule('panels');
  $('#login-user').focus();
}

start();
