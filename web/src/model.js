// model.js - what the page knows, apart from how it is drawn: the engine's
// messages checked and folded into plain state. No DOM here, so the rules
// (which alert message is newest, how alerts are ordered, what is exercise)
// can be read in one place. Every message is untrusted input: a malformed one
// is counted and skipped, never thrown at the caller.

export const SEVERITY_RANK = { critical: 4, high: 3, medium: 2, low: 1 };
export const CLOSED_STATES = new Set(['RESOLVED', 'FALSE_ALARM']);
export const TRAIL_POINTS = 12;
export const CLASSES = ['person', 'vehicle', 'animal', 'vessel', 'aircraft', 'unknown'];

const isNum = (v) => typeof v === 'number' && Number.isFinite(v);
const isStr = (v) => typeof v === 'string';

// Milliseconds since the epoch of an ISO time, or null.
export function isoMs(s) {
  if (!isStr(s))
    return null;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : null;
}

export function createModel() {
  return {
    tracks: new Map(),        // id -> {id, lat, lon, cls, conf, status, speed, heading, exercise, test, trail: [[lat,lon]...]}
    tracksTime: null,         // event time (ms) of the latest picture
    tracksPublished: null,    // wall time (ms) the engine published it
    alerts: new Map(),        // id -> latest alert message (highest seq)
    alertSeen: new Map(),     // id -> wall ms the page first saw it
    alertVia: new Map(),      // id -> where the page first learnt of it: 'alerts' or 'snapshot'
    sensors: new Map(),       // id -> sensor status object
    units: new Map(),         // id -> unit report
    engine: null,             // the retained engine status
    zones: null,              // GeoJSON FeatureCollection
    eventNow: null,           // newest event time seen (ms): the clock alert ages are read on
    malformed: 0,
  };
}

function noteEventTime(m, ms) {
  if (ms !== null && (m.eventNow === null || ms > m.eventNow))
    m.eventNow = ms;
}

/**
 * Fold a track picture ({site, time, published, tracks: [...]}) into the model.
 * Tracks absent from the picture are dropped. Returns false if it is malformed.
 */
export function applyTracks(m, msg) {
  if (!msg || !Array.isArray(msg.tracks)) {
    m.malformed++;
    return false;
  }
  const seen = new Set();
  for (const t of msg.tracks) {
    if (!t || !isNum(t.id) || !isNum(t.lat) || !isNum(t.lon)) {
      m.malformed++;
      continue;
    }
    seen.add(t.id);
    let tr = m.tracks.get(t.id);
    if (!tr) {
      tr = { id: t.id, trail: [] };
      m.tracks.set(t.id, tr);
    }
    const last = tr.trail[tr.trail.length - 1];
    if (!last || last[0] !== t.lat || last[1] !== t.lon) {
      tr.trail.push([t.lat, t.lon]);
      if (tr.trail.length > TRAIL_POINTS)
        tr.trail.shift();
    }
    tr.lat = t.lat;
    tr.lon = t.lon;
    tr.cls = CLASSES.includes(t.class) ? t.class : 'unknown';
    tr.classP = isNum(t.class_p) ? t.class_p : null;
    tr.conf = isNum(t.confidence) ? t.confidence : null;
    tr.status = isStr(t.status) ? t.status : '';
    tr.speed = isNum(t.speed_mps) ? t.speed_mps : null;
    tr.heading = isNum(t.heading_deg) ? t.heading_deg : null;
    tr.exercise = t.exercise === true;
    tr.test = t.test === true;   // a radar test target: never alerted, drawn grey with "TEST"
  }
  for (const id of m.tracks.keys())
    if (!seen.has(id))
      m.tracks.delete(id);
  m.tracksTime = isoMs(msg.time);
  m.tracksPublished = isoMs(msg.published);
  noteEventTime(m, m.tracksTime);
  return true;
}

/**
 * Fold one alert message (docs/alerts.md) into the model: kept if it is newer
 * (higher seq) than what is known of that alert. `via` says where it came from
 * ('alerts', or 'snapshot' from applyLiveSnapshot). Returns the kept alert or null.
 */
export function applyAlert(m, a, nowWallMs, via = 'alerts') {
  if (!a || !isStr(a.id) || !isNum(a.seq) || !isStr(a.type) || !isStr(a.state)) {
    m.malformed++;
    return null;
  }
  const old = m.alerts.get(a.id);
  if (old && old.seq >= a.seq)
    return null;   // a duplicate or an older message arriving late
  m.alerts.set(a.id, a);
  if (!m.alertSeen.has(a.id)) {
    m.alertSeen.set(a.id, nowWallMs);
    m.alertVia.set(a.id, via);
  }
  noteEventTime(m, isoMs(a.time));
  return a;
}

/**
 * Fold the engine's retained snapshot of the live alerts ({site, time, seq,
 * alerts: [...], left_out}, on alerts/live) into the model: each alert in it
 * goes through applyAlert, so per id the higher seq wins and a snapshot that
 * arrives late never undoes a newer alert message. It only adds and updates:
 * an alert leaves the live list by its own closing message. Returns how many
 * alerts it changed, or -1 if it is malformed.
 */
export function applyLiveSnapshot(m, snap, nowWallMs) {
  if (!snap || !Array.isArray(snap.alerts)) {
    m.malformed++;
    return -1;
  }
  let changed = 0;
  for (const a of snap.alerts)
    if (applyAlert(m, a, nowWallMs, 'snapshot'))
      changed++;
  return changed;
}

export function isClosed(a) {
  return CLOSED_STATES.has(a.state);
}

/** Who acknowledged it, if the engine says so (the alert's "operator" object). */
export function ackedBy(a) {
  return a.operator && isStr(a.operator.acknowledged_by) ? a.operator.acknowledged_by : null;
}

/**
 * Order of the alert list: most severe first; within a severity, those nobody
 * has acknowledged yet first; then the newest first.
 */
export function compareAlerts(a, b) {
  const s = (SEVERITY_RANK[b.severity] || 0) - (SEVERITY_RANK[a.severity] || 0);
  if (s)
    return s;
  const ua = a.state === 'ACKNOWLEDGED' ? 1 : 0, ub = b.state === 'ACKNOWLEDGED' ? 1 : 0;
  if (ua !== ub)
    return ua - ub;
  return (isoMs(b.first_time) || 0) - (isoMs(a.first_time) || 0) || (a.id < b.id ? -1 : 1);
}

export function liveAlerts(m) {
  return [...m.alerts.values()].filter((a) => !isClosed(a)).sort(compareAlerts);
}

export function closedAlerts(m, max) {
  return [...m.alerts.values()].filter(isClosed)
    .sort((a, b) => (isoMs(b.time) || 0) - (isoMs(a.time) || 0)).slice(0, max);
}

/** Age of an alert in seconds on the event clock (scenario time in a replay). */
export function alertAgeS(m, a) {
  const first = isoMs(a.first_time);
  if (first === null || m.eventNow === null)
    return null;
  return Math.max(0, (m.eventNow - first) / 1000);
}

/** The engine's retained status ({state, event_time, tracks, alerts, sensors}). */
export function applyStatus(m, s) {
  if (!s || !isStr(s.state)) {
    m.malformed++;
    return false;
  }
  m.engine = s;
  noteEventTime(m, isoMs(s.event_time));
  return true;
}

export function applySensor(m, s) {
  if (!s || !isStr(s.id)) {
    m.malformed++;
    return false;
  }
  m.sensors.set(s.id, s);
  return true;
}

export function applyUnit(m, id, u) {
  if (!u || !isNum(u.lat) || !isNum(u.lon)) {
    m.malformed++;
    return false;
  }
  m.units.set(id, { ...u, id });
  noteEventTime(m, isoMs(u.time));
  return true;
}

export function applyZones(m, z) {
  if (!z || !Array.isArray(z.features)) {
    m.malformed++;
    return false;
  }
  m.zones = z;
  return true;
}

/** Is what the page shows exercise data? Any exercise track, live alert or unit. */
export function isExercise(m) {
  for (const t of m.tracks.values())
    if (t.exercise)
      return true;
  for (const a of m.alerts.values())
    if (a.exercise === true && !isClosed(a))
      return true;
  for (const u of m.units.values())
    if (u.exercise === true)
      return true;
  return false;
}

/** Human text for seconds: "45 s", "3 min", "2 h". */
export function fmtAge(s) {
  if (s === null || !Number.isFinite(s))
    return '?';
  if (s < 90)
    return `${Math.round(s)} s`;
  if (s < 5400)
    return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

/** "HH:MM:SSZ" of an ISO time, or "". */
export function fmtClock(iso) {
  const t = isoMs(iso);
  return t === null ? '' : new Date(t).toISOString().slice(11, 19) + 'Z';
}

/**
 * A LOST alert (its track ended; it stays live until an operator closes it or
 * a track reacquires it): "last seen HH:MM:SSZ, search 59 m" from its "lost"
 * object, or "" for any other alert.
 */
export function lostText(a) {
  if (a.state !== 'LOST')
    return '';
  const lo = a.lost && typeof a.lost === 'object' ? a.lost : {};
  const at = fmtClock(lo.last_seen_time);
  const r = isNum(lo.radius_m) ? `, search ${Math.round(lo.radius_m)} m` : '';
  return at ? `last seen ${at}${r}` : `track lost${r}`;
}

/**
 * The predicted crossing of an alert, in words, or "": the estimated crossing
 * time of an incursion, or the time to the line of an approach.
 */
export function crossingText(a) {
  if (isStr(a.crossing_time))
    return `crossed at ${fmtClock(a.crossing_time)}`;
  if (isNum(a.time_to_line_s)) {
    const t = isoMs(a.time);
    const at = t === null ? '' : ` (${fmtClock(new Date(t + a.time_to_line_s * 1000).toISOString())})`;
    return `expected at the line in ${fmtAge(a.time_to_line_s)}${at}`;
  }
  return '';
}
