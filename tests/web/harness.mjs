// harness.mjs - what the browser tests share: free ports, a private mosquitto,
// child processes that are always cleaned up, the page's server and a headless
// Debian chromium driven by playwright-core.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SKIP = 77;   // ctest SKIP_RETURN_CODE
// The packages are web/'s (web/package.json): resolve them from there.
export const webRequire = createRequire(path.join(SRC, 'web', 'package.json'));

const children = [];
const cleanups = [];

export function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--'))
      throw new Error(`unexpected argument ${argv[i]}`);
    o[argv[i].slice(2)] = argv[i + 1];
  }
  for (const k of ['bin', 'web', 'out'])
    if (!o[k])
      throw new Error(`--${k} DIR is required`);
  return o;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function tmpDir(tag) {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `bf-web-${tag}-`));
  cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Start a child process, its output to logFile; killed at cleanup(). */
export function run(cmd, args, logFile) {
  const log = fs.openSync(logFile, 'w');
  const child = spawn(cmd, args, { stdio: ['ignore', log, log] });
  fs.closeSync(log);
  child.exitPromise = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  children.push(child);
  return child;
}

function waitPort(port, ms) {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve();
      });
      s.once('error', () => {
        s.destroy();
        if (Date.now() > until)
          reject(new Error(`nothing listens on 127.0.0.1:${port}`));
        else
          setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

function findExe(name, extra) {
  for (const d of (process.env.PATH || '').split(':').concat(extra))
    if (d && fs.existsSync(path.join(d, name)))
      return path.join(d, name);
  return null;
}

/** A private broker on 127.0.0.1 (TCP only; the page reaches it through serve.mjs). */
export async function startMosquitto(dir) {
  const exe = findExe('mosquitto', ['/usr/sbin', '/sbin']);
  if (!exe)
    throw new Error('mosquitto not found (scripts/bootstrap.sh installs it)');
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  fs.writeFileSync(conf, [
    `listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false',
    'max_queued_messages 100000', 'log_dest stdout', 'log_type error', 'log_type warning',
    ...(process.getuid && process.getuid() === 0 ? ['user root'] : []), '',
  ].join('\n'));
  const child = run(exe, ['-c', conf], path.join(dir, 'mosquitto.log'));
  await waitPort(port, 5000);
  return { port, child };
}

export function chromiumPath() {
  return process.env.BF_CHROMIUM ||
    ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p)) || null;
}

export async function launchBrowser() {
  const { chromium } = webRequire('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  cleanups.push(() => browser.close().catch(() => {}));
  return browser;
}

export function onCleanup(fn) {
  cleanups.push(fn);
}

// Stop the children newest first (the simulator, the engine, then the broker
// they talk to), each with SIGTERM and up to 5 s before SIGKILL.
export async function cleanup() {
  for (const c of children.reverse()) {
    if (c.exitCode !== null || c.signalCode !== null)
      continue;
    c.kill('SIGTERM');
    const done = await Promise.race([c.exitPromise.then(() => true),
                                     new Promise((r) => setTimeout(() => r(false), 5000))]);
    if (!done)
      c.kill('SIGKILL');
  }
  children.length = 0;
  for (const f of cleanups.reverse())
    await f();
}

let failures = 0;
export function check(cond, what) {
  console.log(`${cond ? 'ok  ' : 'FAIL'} ${what}`);
  if (!cond)
    failures++;
  return cond;
}
export function failed() {
  return failures;
}

/** Exit 77 (skipped) when the browser or the built page is missing, saying why. */
export function requireTools(o) {
  if (!chromiumPath()) {
    console.log('SKIP: no chromium (Debian package "chromium"; scripts/bootstrap.sh installs it)');
    process.exit(SKIP);
  }
  if (!fs.existsSync(path.join(o.web, 'index.html'))) {
    console.log(`FAIL: ${o.web}/index.html missing: build the page with scripts/web.sh`);
    process.exit(1);
  }
}

/** p-th percentile (0..100) of numbers, nearest rank. */
export function pct(xs, p) {
  if (!xs.length)
    return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export function main(fn) {
  const hard = setTimeout(() => {
    console.log('FAIL: the test ran over 90 s');
    cleanup().finally(() => process.exit(1));
  }, 90000);
  fn().then(
    async () => {
      clearTimeout(hard);
      await cleanup();
      const n = failed();
      console.log(n ? `${n} check(s) failed` : 'all checks passed');
      process.exit(n ? 1 : 0);
    },
    async (e) => {
      clearTimeout(hard);
      console.log(`FAIL: ${e && e.stack ? e.stack : e}`);
      await cleanup();
      process.exit(1);
    });
}
