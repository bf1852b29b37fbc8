// validate.test.mjs - the schemas and the validator on messages written here:
// one of each kind as the engine writes it passes, and each mistake a consumer
// would trip on (a missing field, a wrong enum, a string for a number, an
// unknown member, a topic with no schema) fails.  node --test validate.test.mjs
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.BF_SOURCE_DIR || path.resolve(here, '../..');
const schemas = path.join(root, 'docs/schemas');
const script = path.join(here, 'validate.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bf-schemas-'));
let n = 0;

function run(args) {
  const r = spawnSync(process.execPath, [script, schemas, ...args], {encoding: 'utf8'});
  return {code: r.status, out: r.stdout + r.stderr};
}

function check(messages, extra = []) {
  const file = path.join(tmp, `m${n++}.jsonl`);
  fs.writeFileSync(file, messages.map((m) => JSON.stringify(m)).join('\n') + '\n');
  return run([file, ...extra]);
}

function checkFile(schema, doc) {
  const file = path.join(tmp, `f${n++}.json`);
  fs.writeFileSync(file, JSON.stringify(doc));
  return run(['--file', schema, file]);
}

const T = '2026-03-01T01:55:03.120Z';
const ID = '9cf1bec8-9072-51e8-824b-e6e246ec9741';
const alert = {
  id: ID, seq: 15, site: 'demo', type: 'INCURSION', state: 'NEW', severity: 'critical',
  exercise: false, track_id: 12, zone: {id: 'border', name: 'Border', kind: 'border_line'},
  first_time: T, time: T, position: {lat: 46.8, lon: 8.2},
  velocity: {east_mps: 0.1, north_mps: -1.4, speed_mps: 1.4, heading_deg: 175.9},
  class: 'person', class_p: 0.9, confidence: 0.95, time_to_line_s: null, distance_to_line_m: 12.5,
  crossing_time: T, sensors: ['radar-west'], hits: 20, episode: null, dwell_s: null,
  operator: {acknowledged_by: null, acknowledged_time: null, assigned_unit: null, closed_by: null},
  dispatch: {intercept: null, units: []}, camera: null, explanation: 'A person crossed.',
};
const lost = {...alert, state: 'LOST', reason: 'track lost',
              lost: {last_seen_time: T, center: {lat: 46.8, lon: 8.2}, radius_m: 50, growth_mps: 2}};
const fault = {...alert, type: 'SENSOR_FAULT', severity: 'high', track_id: null, zone: null,
               sensor: 'radar-west', reason: 'silent for 30 s'};
const sequence = {...alert, severity: 'medium', track_id: null, confidence: 0.6, sensors: ['ugs-south', 'ugs-north'],
                  sensor: 'ugs-north', reason: 'ugs-south at 01:55:01Z, then ugs-north at 01:55:03Z: at least 1.5 m/s'};
const tracks = {site: 'demo', time: T, published: T, tracks: [
  {id: 3, status: 'confirmed', lat: 46.8, lon: 8.2, speed_mps: 1.2, heading_deg: 180, class: 'person',
   class_p: 0.8, confidence: 0.9, exercise: false}]};
const result = {request_id: 'r1', alert_id: ID, action: 'acknowledge', ok: true, state: 'ACKNOWLEDGED', error: null};
const cue = {camera: 'cam-1', action: 'cue', track_id: 3, alert_id: ID, priority: 4, severity: 'critical',
             time: T, target: {lat: 46.8, lon: 8.2}, range_m: 800, bearing_deg: 12.5, pan_deg: 2.5,
             tilt_deg: -1.2, fov_deg: 5, zoom: 12, reason: null};
const unit = {id: 'patrol-1', time: T, lat: 46.8, lon: 8.2, alt_m: null, speed_mps: 0, track_deg: null, mode: 2};
const topic = (rest) => `borderfuse/demo/${rest}`;

test('one message of each kind as the engine writes it passes', () => {
  const r = check([
    {topic: topic('alerts'), payload: JSON.stringify(alert)},
    {topic: topic('alerts'), payload: lost},
    {topic: topic('alerts'), payload: fault},
    {topic: topic('alerts'), payload: sequence},
    {topic: topic('alerts/live'), payload: {site: 'demo', time: T, seq: 15, alerts: [alert, lost], left_out: 0}},
    {topic: topic('tracks'), payload: tracks},
    {topic: topic('alerts/result'), payload: result},
    {topic: topic('alerts/ack/alice'), payload: {alert_id: ID, action: 'assign', unit: 'patrol-1'}},
    {topic: topic('cameras/cam-1/cue'), payload: cue},
    {topic: topic('units/patrol-1'), payload: unit},
    {topic: topic('units/patrol-2'), payload: ''},
    {topic: topic('status'), payload: {state: 'offline'}},
    {topic: topic('sensors/radar-west/detections'), payload: 'anything'},
    {topic: 'elsewhere/x', payload: 'not ours'},
  ]);
  console.log(r.out);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /schema: 11 messages valid \(alert 4, cue 1, live 1, request 1, result 1, status 1, tracks 1, unit 1\)/);
});

const bad = [
  ['an alert without explanation', topic('alerts'), (() => { const a = {...alert}; delete a.explanation; return a; })()],
  ['an unknown alert type', topic('alerts'), {...alert, type: 'INTRUSION'}],
  ['a seq as a string', topic('alerts'), {...alert, seq: '15'}],
  ['a member no consumer knows', topic('alerts'), {...alert, colour: 'red'}],
  ['a LOST alert without its area', topic('alerts'), {...alert, state: 'LOST'}],
  ['a SENSOR_FAULT without the sensor', topic('alerts'), {...fault, sensor: undefined}],
  ['an INCURSION without a track or a sensor', topic('alerts'), {...sequence, sensor: undefined}],
  ['a track INCURSION naming a sensor', topic('alerts'), {...alert, sensor: 'ugs-north'}],
  ['a ZONE_ENTRY without a track', topic('alerts'), {...alert, type: 'ZONE_ENTRY', track_id: null}],
  ['a RESOLVED alert in the live snapshot', topic('alerts/live'),
   {site: 'demo', time: T, seq: 15, alerts: [{...alert, state: 'RESOLVED'}], left_out: 0}],
  ['a tentative track in the picture', topic('tracks'), {...tracks, tracks: [{...tracks.tracks[0], status: 'tentative'}]}],
  ['a refusal without its reason', topic('alerts/result'), {...result, ok: false, error: null}],
  ['an assign without a unit', topic('alerts/ack'), {alert_id: ID, action: 'assign', operator: 'bob'}],
  ['a cue with a reason', topic('cameras/cam-1/cue'), {...cue, reason: 'why not'}],
  ['a unit without its time', topic('units/patrol-1'), {...unit, time: undefined}],
  ['a status that is not JSON', topic('status'), 'online'],
  ['a half status', topic('status'), {state: 'online', site: 'demo'}],
];
for (const [what, t, payload] of bad) {
  test(`fails: ${what}`, () => {
    const r = check([{topic: t, payload: typeof payload === 'string' ? payload : JSON.parse(JSON.stringify(payload))}]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /FAIL borderfuse\/demo\//);
  });
}

test('a topic without a schema fails and is named', () => {
  const r = check([{topic: topic('alerts/archive'), payload: alert}]);
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, /topics without a schema[\s\S]*borderfuse\/demo\/alerts\/archive \(1\)/);
});

test('--allow-invalid lists a deliberate bad request without failing', () => {
  const r = check([{topic: topic('alerts/ack/mallory'), payload: {alert_id: 'nope', action: 'acknowledge'}},
                   {topic: topic('alerts'), payload: alert}],
                  ['--allow-invalid', 'borderfuse/+/alerts/ack/#']);
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /invalid \(allowed\) borderfuse\/demo\/alerts\/ack\/mallory against request/);
  assert.match(r.out, /allowed invalid: request 1/);
});

const config = JSON.parse(fs.readFileSync(path.join(root, 'config/examples/minimal.json'), 'utf8'));
test('the configuration schema: $schema is accepted, mistakes are not', () => {
  assert.equal(checkFile('config', {$schema: '../docs/schemas/config.schema.json', ...config}).code, 0);
  const mistakes = [
    {...config, sensors: [{...config.sensors[0], rnage_m: 8000}]},   // unknown key
    {...config, site: 'north ridge'},                                // not a site name
    {...config, tracker: {gate_sigma: 30}},                          // out of range
    {...config, alerts: {journal_fsync: 'sometimes'}},               // not in the enum
    {...config, tracker: {confirm_m: 3.5}},                          // not an integer
    {...config, engine: {queue_capacity: null}},                     // null is no value
    (() => { const c = {...config}; delete c.sensors; return c; })(), // required
  ];
  for (const m of mistakes) {
    const r = checkFile('config', m);
    assert.equal(r.code, 1, `${JSON.stringify(m)} passed:\n${r.out}`);
  }
});

test('the zones file schema: a border line must be a LineString with our_side', () => {
  const line = {type: 'Feature', properties: {id: 'border', kind: 'border_line', our_side: 'left'},
                geometry: {type: 'LineString', coordinates: [[8.1, 46.8], [8.3, 46.8]]}};
  const ok = {type: 'FeatureCollection', features: [line]};
  assert.equal(checkFile('zones-file', ok).code, 0);
  const noSide = {...line, properties: {id: 'border', kind: 'border_line'}};
  assert.equal(checkFile('zones-file', {...ok, features: [noSide]}).code, 1);
  const polygonLine = {...line, geometry: {type: 'Polygon', coordinates: [[[8.1, 46.8], [8.3, 46.8], [8.2, 46.9], [8.1, 46.8]]]}};
  assert.equal(checkFile('zones-file', {...ok, features: [polygonLine]}).code, 1);
  const strange = {...line, properties: {...line.properties, colour: 'red'}};
  assert.equal(checkFile('zones-file', {...ok, features: [strange]}).code, 1);
});
