// End-to-end test of the `inkjot serve` page in real headless Chromium (Debian's, driven by
// playwright-core; no browser download). Run through tests/demo/run.sh, which starts the server.
//
// 1. Picks word inks from UNIPEN valid that the CLI (`inkjot recognize`) gets right, at run time,
//    so the test holds for whichever model is in use.
// 2. Draws each of them on the page's canvas with real input events (mouse, pen, touch: pointer
//    events in the page), paced by the ink's own timestamps, and checks that the page shows the
//    label as its top candidate, the same as the CLI.
// 3. Downloads the ink from the page and checks it is valid JSON Lines ink that the CLI recognizes
//    exactly as the page showed (same candidates, in order).
// 4. Checks undo and clear, replays a recorded ink from a file, and checks the page asked for
//    nothing but its own origin.
//
// Environment: INKJOT_URL (the server), INKJOT_BIN (the CLI), INKJOT_DEMO_DATA (valid.jsonl.gz),
// CHROMIUM (default /usr/bin/chromium), INKJOT_SCREENSHOTS (a directory for a screenshot; optional),
// INKJOT_DEMO_INKS (inks to draw, default 3), INKJOT_DEMO_SCAN (word inks to try, default 60).
// Prints one line per check and a closing `N passed, M failed`; exits 1 on any failure.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { chromium } from 'playwright-core';

const env = process.env;
const BASE = env.INKJOT_URL;
const BIN = env.INKJOT_BIN;
const DATA = env.INKJOT_DEMO_DATA;
const CHROMIUM = env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = env.INKJOT_SCREENSHOTS || '';
const INKS = Number(env.INKJOT_DEMO_INKS || 3);
const SCAN = Number(env.INKJOT_DEMO_SCAN || 60);
const MAX_GAP_MS = 1000; // longest pause kept between points while drawing
const DEVICES = ['mouse', 'pen', 'touch'];

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) {
    passed++;
    console.log(`ok    ${name}`);
  } else {
    failed++;
    console.log(`FAIL  ${name}${detail ? `: ${detail}` : ''}`);
  }
  return ok;
}
function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed || !passed ? 1 : 0);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inkjot-e2e-'));

/** `inkjot recognize FILE` (English, the server's defaults): one result per line. */
function cliRecognize(file) {
  const run = spawnSync(BIN, ['recognize', file, '--lang', 'en'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`inkjot recognize failed: ${run.stderr}`);
  return run.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

/** The first `SCAN` word inks of the data with a plain label, and the CLI's results for them. */
async function pickInks() {
  const words = [];
  const lines = readline.createInterface({
    input: fs.createReadStream(DATA).pipe(zlib.createGunzip()),
    crlfDelay: Infinity,
  });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const r = JSON.parse(line);
    const points = r.strokes.reduce((n, s) => n + s.x.length, 0);
    if (r.kind === 'word' && /^[A-Za-z]{3,12}$/.test(r.label || '') && points <= 1500
      && r.strokes.every((s) => Array.isArray(s.t))) {
      words.push(r);
      if (words.length >= SCAN) break;
    }
  }
  lines.close();
  const file = path.join(tmp, 'words.jsonl');
  fs.writeFileSync(file, words.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const results = cliRecognize(file);
  return words
    .map((record, i) => ({ record, cli: results[i].candidates || [] }))
    .filter(({ record, cli }) => cli.length && cli[0].text === record.label);
}

/** Screen positions (CSS px) of the ink's points scaled into `box`, and their playback times. */
function layout(record, box) {
  let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
  for (const s of record.strokes) {
    for (let i = 0; i < s.x.length; i++) {
      minX = Math.min(minX, s.x[i]); maxX = Math.max(maxX, s.x[i]);
      minY = Math.min(minY, s.y[i]); maxY = Math.max(maxY, s.y[i]);
    }
  }
  const margin = 30;
  const scale = Math.min((box.width - 2 * margin) / Math.max(maxX - minX, 1),
    (box.height - 2 * margin) / Math.max(maxY - minY, 1), 4);
  const offX = box.x + (box.width - (maxX - minX) * scale) / 2;
  const offY = box.y + (box.height - (maxY - minY) * scale) / 2;
  let clock = 0;
  let prev = record.strokes[0].t[0];
  return record.strokes.map((s) => s.x.map((x, i) => {
    clock += Math.min(Math.max(s.t[i] - prev, 0), MAX_GAP_MS);
    prev = s.t[i];
    return {
      x: Math.round(((x - minX) * scale + offX) * 100) / 100,
      y: Math.round(((s.y[i] - minY) * scale + offY) * 100) / 100,
      ms: clock,
    };
  }));
}

/**
 * Draws the strokes with CDP input events of one device, at the ink's pace. Each event carries the
 * ink's own time as its timestamp, so the page records the ink's timing, not the event loop's.
 */
async function draw(cdp, strokes, device) {
  const epoch = Date.now() / 1000 + 0.05;
  const started = performance.now() + 50;
  const at = async (p) => {
    const wait = started + p.ms - performance.now();
    if (wait > 0) await sleep(wait);
    return epoch + p.ms / 1000;
  };
  for (const stroke of strokes) {
    for (let i = 0; i < stroke.length; i++) {
      const p = stroke[i];
      const timestamp = await at(p);
      const first = i === 0;
      if (device === 'touch') {
        await cdp.send('Input.dispatchTouchEvent', {
          type: first ? 'touchStart' : 'touchMove',
          touchPoints: [{ x: p.x, y: p.y, id: 1, radiusX: 2, radiusY: 2, force: 0.5 }],
          timestamp,
        });
      } else {
        await cdp.send('Input.dispatchMouseEvent', {
          type: first ? 'mousePressed' : 'mouseMoved',
          x: p.x,
          y: p.y,
          button: 'left',
          buttons: 1,
          clickCount: first ? 1 : 0,
          pointerType: device,
          force: device === 'pen' ? 0.5 : 0,
          timestamp,
        });
      }
    }
    const last = stroke[stroke.length - 1];
    const timestamp = epoch + last.ms / 1000;
    if (device === 'touch') {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [], timestamp });
    } else {
      await cdp.send('Input.dispatchMouseEvent', {
        type: 'mouseReleased', x: last.x, y: last.y, button: 'left', buttons: 0, clickCount: 1,
        pointerType: device, timestamp,
      });
      // Move away with no button held, so that the next press starts a fresh stroke.
      await cdp.send('Input.dispatchMouseEvent', {
        type: 'mouseMoved', x: last.x, y: last.y, button: 'none', buttons: 0, pointerType: device,
        timestamp,
      });
    }
  }
}

/** Waits until the page shows the answer for `strokes` strokes; returns the candidate texts. */
async function shown(page, strokes) {
  await page.waitForSelector(`#results[data-strokes="${strokes}"]`, { timeout: 30000 });
  await sleep(100); // a newer answer for the same stroke count may still replace it
  await page.waitForSelector(`#results[data-strokes="${strokes}"]`, { timeout: 30000 });
  return {
    top: await page.textContent('#top'),
    texts: await page.$$eval('#candidates .text', (els) => els.map((e) => e.textContent)),
  };
}

async function waitForServer() {
  const until = Date.now() + 120000;
  for (;;) {
    try {
      const r = await fetch(new URL('api/info', BASE));
      if (r.ok) return r.json();
    } catch {
      // not up yet
    }
    if (Date.now() > until) throw new Error(`no server at ${BASE}`);
    await sleep(250);
  }
}

async function main() {
  for (const [name, value] of [['INKJOT_URL', BASE], ['INKJOT_BIN', BIN], ['INKJOT_DEMO_DATA', DATA]]) {
    if (!value) throw new Error(`${name} is not set (run tests/demo/run.sh)`);
  }
  const info = await waitForServer();
  check('server answers /api/info with languages', Array.isArray(info.languages)
    && info.languages.includes('en'), JSON.stringify(info));

  const chosen = (await pickInks()).slice(0, INKS);
  if (!check(`the CLI recognizes at least one of the first ${SCAN} UNIPEN valid words`, chosen.length > 0)) {
    return;
  }
  console.log(`      drawing ${chosen.map((c) => `"${c.record.label}" (${c.record.id})`).join(', ')}`);

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'inkjot-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1000, height: 800 },
    deviceScaleFactor: 1,
    hasTouch: true,
    acceptDownloads: true,
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    const foreign = [];
    const errors = [];
    page.on('request', (r) => { if (!r.url().startsWith(BASE) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreign.push(r.url()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(BASE);
    await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
    check('page loads with the language list', (await page.inputValue('#lang')) === 'en');
    await page.evaluate(() => {
      window.pointerTypes = [];
      document.getElementById('pad').addEventListener('pointerdown', (e) => window.pointerTypes.push(e.pointerType));
    });
    const cdp = await context.newCDPSession(page);
    const box = await page.locator('#pad').boundingBox();

    for (const [k, { record, cli }] of chosen.entries()) {
      const device = DEVICES[k % DEVICES.length];
      const label = record.label;
      const n = record.strokes.length;
      await page.click('#clear');
      await page.evaluate(() => { window.pointerTypes = []; });
      await draw(cdp, layout(record, box), device);
      const page1 = await shown(page, n);
      const types = await page.evaluate(() => window.pointerTypes);
      check(`"${label}" drawn with ${device} pointer events (${n} strokes)`,
        types.length === n && types.every((t) => t === device), JSON.stringify(types));
      check(`"${label}": page's top candidate is the label`, page1.top === label, `page shows "${page1.top}"`);
      check(`"${label}": page's top candidate equals the CLI's`, page1.top === cli[0].text,
        `page "${page1.top}", CLI "${cli[0].text}"`);
      if (k === 0 && SHOTS) {
        fs.mkdirSync(SHOTS, { recursive: true });
        await page.screenshot({ path: path.join(SHOTS, 'serve.png'), fullPage: true });
      }

      // The page's own ink, downloaded, recognized by the CLI: the same candidates, in order.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      const file = path.join(tmp, `download-${k}.jsonl`);
      await download.saveAs(file);
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
      const saved = JSON.parse(lines[0]);
      const shape = lines.length === 1 && typeof saved.id === 'string' && saved.strokes.length === n
        && saved.strokes.every((s) => s.x.length > 1 && s.x.length === s.y.length && s.t.length === s.x.length);
      check(`"${label}": download is one JSONL ink with ${n} strokes of x, y, t`, shape, lines[0].slice(0, 200));
      const again = cliRecognize(file)[0].candidates.map((c) => c.text);
      check(`"${label}": CLI on the downloaded ink gives the page's candidates`,
        JSON.stringify(again) === JSON.stringify(page1.texts),
        `CLI ${JSON.stringify(again)}, page ${JSON.stringify(page1.texts)}`);
      const span = (s) => s.t[s.t.length - 1] - s.t[0];
      const drift = Math.max(...saved.strokes.map((s, i) => Math.abs(span(s) - span(record.strokes[i]))));
      check(`"${label}": the page recorded the ink's timing (stroke durations within 5 ms)`, drift <= 5,
        `largest difference ${drift.toFixed(1)} ms`);

      if (k === 0) {
        const asked = (lang, context) => page.waitForRequest((r) => {
          if (!r.url().endsWith('/api/recognize')) return false;
          const body = JSON.parse(r.postData() || '{}');
          return body.lang === lang && body.pre_context === context && body.strokes.length === n;
        }, { timeout: 10000 });
        let sent = Promise.all([asked('de', ''), page.selectOption('#lang', 'de')]);
        await sent;
        sent = Promise.all([asked('de', 'I will '), page.fill('#context', 'I will ')]);
        await sent;
        sent = Promise.all([asked('en', 'I will '), page.selectOption('#lang', 'en')]);
        await sent;
        await Promise.all([asked('en', ''), page.fill('#context', '')]);
        const back = await shown(page, n);
        check('changing language or pre-context recognizes again with them',
          back.top === page1.top, `page shows "${back.top}"`);

        await page.click('#undo');
        const undone = await shown(page, n - 1);
        check('undo removes the last stroke and recognizes the rest', n === 1 || undone.texts.length > 0);
        await page.click('#clear');
        await shown(page, 0);
        check('clear empties the canvas and the candidates', (await page.textContent('#top')) === '');
      }
    }

    // Replay a recorded ink from a file.
    const { record } = chosen[0];
    const file = path.join(tmp, 'replay.jsonl');
    fs.writeFileSync(file, `${JSON.stringify(record)}\n`);
    await page.setInputFiles('#replay-file', file);
    await page.selectOption('#replay-speed', '10');
    await page.click('#replay');
    await page.waitForSelector('body[data-replay="done"]', { timeout: 30000 });
    const replayed = await shown(page, record.strokes.length);
    check(`replaying "${record.label}" from a file shows the label`, replayed.top === record.label,
      `page shows "${replayed.top}"`);

    check('the page requested nothing outside its own origin', foreign.length === 0, foreign.join(' '));
    check('no script errors on the page', errors.length === 0, errors.join(' | '));
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

const guard = setTimeout(() => {
  check('finishes within 5 minutes', false);
  finish();
}, 300000);
try {
  await main();
} catch (e) {
  check('test ran', false, e.stack || String(e));
}
clearTimeout(guard);
fs.rmSync(tmp, { recursive: true, force: true });
finish();
