// validate.mjs - every message a test saw on the broker checked against the
// JSON Schema of its topic (docs/schemas/README.md has the topic -> schema map).
//
// The problem: a display, a situation centre or a scorer reads these messages
// by their documented shape; a field renamed, a number turned into a string or
// a null where none was documented breaks them quietly.  So every message the
// integration tests receive is written to a log (tests/integration/it_util.c)
// and checked here with a real validator (ajv, JSON Schema draft 2020-12).
//
// Usage:
//   node validate.mjs SCHEMA_DIR MESSAGES.jsonl [--allow-invalid FILTER]...
//       each line {"topic": "...", "payload": <JSON or a string holding it>};
//       FILTER is an MQTT topic filter (+, #) whose messages may fail their
//       schema (a test that sends malformed requests on purpose): they are
//       listed, not counted as failures.
//   node validate.mjs SCHEMA_DIR --file SCHEMA FILE...
//       each FILE (a configuration, a zones file) against SCHEMA
//       ("config", "zones-file", ...).
// Prints the count per schema and every failure with its topic (or file) and
// ajv's errors; exits 1 on any failure or on a topic under borderfuse/ that
// has no schema (listed), 2 on bad usage.
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

// topic (after borderfuse/<site>/) -> schema name; the first match wins
const TOPICS = [
  [/^alerts$/, 'alert'],
  [/^alerts\/live$/, 'live'],
  [/^alerts\/result$/, 'result'],
  [/^alerts\/ack(\/[^/]*)?$/, 'request'],
  [/^tracks$/, 'tracks'],
  [/^status$/, 'status'],
  [/^sensors\/[^/]+\/status$/, 'sensor-status'],
  [/^units\/[^/]+$/, 'unit'],
  [/^zones$/, 'zones'],
  [/^coverage$/, 'coverage'],
  [/^cameras\/[^/]+\/cue$/, 'cue'],
];
// what sensors and the simulator send the engine: read by the sensor plugins,
// which count and refuse bad input themselves (docs/detections.md, docs/ugs.md)
const INPUTS = [/^sensors\/[^/]+\/detections$/, /^sensors\/[^/]+\/ugs$/, /^sim\/[^/]+\/probe$/];

function usage(msg) {
  if (msg) console.error(`validate.mjs: ${msg}`);
  console.error('usage: node validate.mjs SCHEMA_DIR MESSAGES.jsonl [--allow-invalid FILTER]...\n' +
                '       node validate.mjs SCHEMA_DIR --file SCHEMA FILE...');
  process.exit(2);
}

function loadSchemas(dir) {
  const ajv = new Ajv2020({allErrors: true, strictSchema: true, strictNumbers: true, strictTypes: false,
                          strictTuples: false, strictRequired: false, allowUnionTypes: true});
  addFormats(ajv);
  const names = fs.readdirSync(dir).filter((f) => f.endsWith('.schema.json')).sort();
  if (names.length === 0) usage(`no *.schema.json in ${dir}`);
  for (const f of names)
    ajv.addSchema(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')), f.replace(/\.schema\.json$/, ''));
  return ajv;
}

function filterMatches(filter, topic) {
  const f = filter.split('/'), t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length || (f[i] !== '+' && f[i] !== t[i])) return false;
  }
  return f.length === t.length;
}

function errorsText(errors) {
  return errors.slice(0, 8).map((e) => `    ${e.instancePath || '(root)'} ${e.message}` +
    (e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : '')).join('\n') +
    (errors.length > 8 ? `\n    ... ${errors.length - 8} more` : '');
}

function short(text) {
  return text.length > 300 ? `${text.slice(0, 300)}...` : text;
}

const args = process.argv.slice(2);
if (args.length < 2) usage();
const ajv = loadSchemas(args[0]);

if (args[1] === '--file') {
  const name = args[2];
  if (!name || args.length < 4) usage();
  const validate = ajv.getSchema(name);
  if (!validate) usage(`no schema ${name}`);
  let bad = 0;
  for (const file of args.slice(3)) {
    let doc;
    try {
      doc = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      console.log(`FAIL ${file}: not JSON (${e.message})`);
      bad++;
      continue;
    }
    if (validate(doc)) {
      console.log(`ok   ${file} (${name})`);
    } else {
      console.log(`FAIL ${file} (${name}):\n${errorsText(validate.errors)}`);
      bad++;
    }
  }
  console.log(`schema: ${args.length - 3 - bad} of ${args.length - 3} files valid against ${name}`);
  process.exit(bad ? 1 : 0);
}

const allowed = [];
for (let i = 2; i < args.length; i++) {
  if (args[i] === '--allow-invalid' && i + 1 < args.length) allowed.push(args[++i]);
  else usage(`unknown argument ${args[i]}`);
}

const counts = new Map(), allowedBad = new Map(), unknown = new Map();
let inputs = 0, cleared = 0, failures = 0, lineNo = 0;
const text = fs.readFileSync(args[1], 'utf8');
for (const line of text.split('\n')) {
  lineNo++;
  if (line.trim() === '') continue;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch (e) {
    console.log(`FAIL line ${lineNo}: the log line is not JSON (${e.message})`);
    failures++;
    continue;
  }
  const topic = String(msg.topic);
  const m = /^borderfuse\/[^/]+\/(.*)$/.exec(topic);
  if (!m) continue;   // not ours: left alone
  const rest = m[1];
  if (INPUTS.some((re) => re.test(rest))) {
    inputs++;
    continue;
  }
  const hit = TOPICS.find(([re]) => re.test(rest));
  if (!hit) {
    unknown.set(topic, (unknown.get(topic) || 0) + 1);
    continue;
  }
  const name = hit[1];
  let payload = msg.payload;
  if (payload === '') {   // a retained message cleared
    cleared++;
    continue;
  }
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload);
    } catch (e) {
      payload = undefined;
    }
  }
  const validate = ajv.getSchema(name);
  const ok = payload !== undefined && validate(payload);
  if (ok) {
    counts.set(name, (counts.get(name) || 0) + 1);
    continue;
  }
  const why = payload === undefined ? '    the payload is not JSON' : errorsText(validate.errors);
  const raw = typeof msg.payload === 'string' ? msg.payload : JSON.stringify(msg.payload);
  if (allowed.some((f) => filterMatches(f, topic))) {
    allowedBad.set(name, (allowedBad.get(name) || 0) + 1);
    console.log(`invalid (allowed) ${topic} against ${name}:\n${why}\n    payload: ${short(raw)}`);
    continue;
  }
  failures++;
  console.log(`FAIL ${topic} against ${name}:\n${why}\n    payload: ${short(raw)}`);
}

const total = [...counts.values()].reduce((a, b) => a + b, 0);
const parts = [...counts.entries()].sort().map(([k, v]) => `${k} ${v}`);
let summary = `schema: ${total} messages valid (${parts.join(', ') || 'none'})`;
if (inputs) summary += `; ${inputs} sensor inputs not checked`;
if (cleared) summary += `; ${cleared} retained messages cleared`;
if (allowedBad.size)
  summary += `; allowed invalid: ${[...allowedBad.entries()].map(([k, v]) => `${k} ${v}`).join(', ')}`;
console.log(summary);
if (unknown.size) {
  console.log(`FAIL topics without a schema (add one in docs/schemas/ and to validate.mjs):`);
  for (const [t, n] of unknown) console.log(`    ${t} (${n})`);
}
if (failures) console.log(`schema: ${failures} messages FAILED their schema`);
process.exit(failures || unknown.size ? 1 : 0);
