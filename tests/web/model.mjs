// model.mjs - the page's model (web/src/model.js) without a browser: which
// alert message wins, the order of the list, the trail, malformed input, and
// the our-side band of the map (web/src/map.js needs Leaflet, so only the
// model is tested here).
//
// Usage: node tests/web/model.mjs

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { SRC } from './harness.mjs';

const M = await import(pathToFileURL(path.join(SRC, 'web/src/model.js')).href);

const alert = (over) => ({
  id: 'a1', seq: 1, type: 'INCURSION', state: 'NEW', severity: 'high', track_id: 7,
  first_time: '2026-03-01T02:00:00.000Z', time: '2026-03-01T02:00:00.000Z', ...over,
});

test('a later seq replaces an alert, an older or equal one does not', () => {
  const m = M.createModel();
  assert.ok(M.applyAlert(m, alert({ seq: 5 }), 0));
  assert.equal(M.applyAlert(m, alert({ seq: 4, state: 'RESOLVED' }), 0), null);
  assert.equal(M.applyAlert(m, alert({ seq: 5, state: 'RESOLVED' }), 0), null);
  assert.equal(m.alerts.get('a1').state, 'NEW');
  M.applyAlert(m, alert({ seq: 6, state: 'ACKNOWLEDGED', operator: { acknowledged_by: 'bob' } }), 0);
  assert.equal(M.ackedBy(m.alerts.get('a1')), 'bob');
  M.applyAlert(m, alert({ seq: 7, state: 'FALSE_ALARM' }), 0);
  assert.equal(M.liveAlerts(m).length, 0);
  assert.equal(M.closedAlerts(m, 10).length, 1);
});

test('list order: severity, then not yet acknowledged, then newest', () => {
  const m = M.createModel();
  M.applyAlert(m, alert({ id: 'low', severity: 'low', first_time: '2026-03-01T02:09:00Z' }), 0);
  M.applyAlert(m, alert({ id: 'crit', severity: 'critical', first_time: '2026-03-01T02:00:00Z' }), 0);
  M.applyAlert(m, alert({ id: 'h-old', first_time: '2026-03-01T02:01:00Z' }), 0);
  M.applyAlert(m, alert({ id: 'h-new', first_time: '2026-03-01T02:05:00Z' }), 0);
  M.applyAlert(m, alert({ id: 'h-ack', state: 'ACKNOWLEDGED', first_time: '2026-03-01T02:08:00Z' }), 0);
  assert.deepEqual(M.liveAlerts(m).map((a) => a.id), ['crit', 'h-new', 'h-old', 'h-ack', 'low']);
});

test('the live snapshot seeds the list; per id the higher seq wins either way', () => {
  const m = M.createModel();
  // a page that logged in late: the snapshot is all it knows
  const snap = { site: 's', time: '2026-03-01T02:05:00Z', seq: 9, left_out: 0,
                 alerts: [alert({ id: 'inc', seq: 9, severity: 'critical' }),
                          alert({ id: 'app', seq: 4, type: 'APPROACH', severity: 'medium' })] };
  assert.equal(M.applyLiveSnapshot(m, snap, 0), 2);
  assert.deepEqual(M.liveAlerts(m).map((a) => a.id), ['inc', 'app']);
  assert.equal(m.alertVia.get('inc'), 'snapshot');
  // newer alert messages win over it ...
  M.applyAlert(m, alert({ id: 'inc', seq: 11, state: 'ACKNOWLEDGED', severity: 'critical' }), 0);
  M.applyAlert(m, alert({ id: 'app', seq: 12, type: 'APPROACH', state: 'RESOLVED' }), 0);
  assert.equal(m.alertVia.get('inc'), 'snapshot');   // first learnt from the snapshot
  // ... and a snapshot arriving late (built before them) changes nothing
  assert.equal(M.applyLiveSnapshot(m, snap, 0), 0);
  assert.equal(m.alerts.get('inc').state, 'ACKNOWLEDGED');
  assert.equal(m.alerts.get('app').state, 'RESOLVED');
  assert.deepEqual(M.liveAlerts(m).map((a) => a.id), ['inc']);
  // a newer snapshot updates; an alert first seen on alerts says so
  M.applyAlert(m, alert({ id: 'z', seq: 13 }), 0);
  assert.equal(m.alertVia.get('z'), 'alerts');
  assert.equal(M.applyLiveSnapshot(m, { alerts: [alert({ id: 'inc', seq: 14, state: 'ACKNOWLEDGED',
                                                          severity: 'critical', hits: 40 })] }, 0), 1);
  assert.equal(m.alerts.get('inc').hits, 40);
  // malformed snapshots and entries are counted, never thrown
  assert.equal(M.applyLiveSnapshot(m, { alerts: 'no' }, 0), -1);
  assert.equal(M.applyLiveSnapshot(m, null, 0), -1);
  assert.equal(M.applyLiveSnapshot(m, { alerts: [{ id: 5 }, null] }, 0), 0);
  assert.equal(m.malformed, 4);
});

test('alert age is read on the event clock', () => {
  const m = M.createModel();
  M.applyAlert(m, alert({}), 0);
  M.applyTracks(m, { time: '2026-03-01T02:01:30.000Z', tracks: [] });
  assert.equal(M.alertAgeS(m, m.alerts.get('a1')), 90);
  assert.equal(M.fmtAge(90), '2 min');
  assert.equal(M.fmtAge(45), '45 s');
});

test('tracks: trails are bounded, vanished tracks dropped, bad entries counted', () => {
  const m = M.createModel();
  for (let k = 0; k < 20; k++)
    M.applyTracks(m, { time: null, tracks: [{ id: 1, lat: 46.8 + k * 1e-4, lon: 8.2, class: 'person' },
                                            { id: 2, lat: 46.7, lon: 8.1, class: 'tank' }] });
  assert.equal(m.tracks.get(1).trail.length, M.TRAIL_POINTS);
  assert.equal(m.tracks.get(2).trail.length, 1);   // no move, no new trail point
  assert.equal(m.tracks.get(2).cls, 'unknown');     // unknown class names shown as unknown
  M.applyTracks(m, { tracks: [{ id: 2, lat: 46.7, lon: 8.1 }, { id: 'x' }, null] });
  assert.deepEqual([...m.tracks.keys()], [2]);
  assert.equal(m.malformed, 2);
  assert.equal(M.applyTracks(m, { tracks: 'no' }), false);
  assert.equal(M.applyAlert(m, { id: 3 }, 0), null);
  assert.equal(m.malformed, 4);
});

test('exercise: any exercise track, live alert or unit', () => {
  const m = M.createModel();
  assert.equal(M.isExercise(m), false);
  M.applyAlert(m, alert({ exercise: true, state: 'RESOLVED' }), 0);
  assert.equal(M.isExercise(m), false);   // a closed exercise alert alone does not
  M.applyUnit(m, 'patrol-1', { lat: 46.8, lon: 8.2, exercise: true });
  assert.equal(M.isExercise(m), true);
});

test('predicted crossing in words', () => {
  assert.equal(M.crossingText(alert({ crossing_time: '2026-03-01T02:04:49.993Z' })), 'crossed at 02:04:49Z');
  assert.equal(M.crossingText(alert({ crossing_time: null, time_to_line_s: 60 })),
               'expected at the line in 60 s (02:01:00Z)');
  assert.equal(M.crossingText(alert({ crossing_time: null, time_to_line_s: null })), '');
});

test('a LOST alert stays in the live list and says when it was last seen', () => {
  const m = M.createModel();
  M.applyAlert(m, alert({ seq: 1 }), 0);
  M.applyAlert(m, alert({ seq: 2, state: 'LOST', reason: 'track lost',
                          lost: { last_seen_time: '2026-03-01T02:03:04.500Z', radius_m: 59.4, growth_mps: 3 } }), 0);
  assert.deepEqual(M.liveAlerts(m).map((a) => a.id), ['a1']);
  assert.equal(M.isClosed(m.alerts.get('a1')), false);
  assert.equal(M.lostText(m.alerts.get('a1')), 'last seen 02:03:04Z, search 59 m');
  assert.equal(M.lostText(alert({})), '');
  M.applyAlert(m, alert({ seq: 3, state: 'UPDATED', track_id: 9, reason: 'reacquired by track 9' }), 0);
  assert.equal(M.lostText(m.alerts.get('a1')), '');
  assert.equal(M.liveAlerts(m).length, 1);
});
