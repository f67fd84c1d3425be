// End-to-end test of the `inkjot serve` page in real headless Chromium (Debian's, driven by
// playwright-core; no browser download). Run through tests/demo/run.sh, which starts the server.
//
// 1. Picks word inks and a text line from UNIPEN valid that the CLI (`inkjot recognize`) reads
//    right, at run time, so the test holds for whichever model is in use.
// 2. Desktop (1000 x 800): draws each word (three ruled lines tall) with real
//    input events (mouse, pen, touch: pointer events in the page), paced by the ink's own
//    timestamps, and checks that the page shows the label as its top candidate, the same as the
//    CLI; downloads the page's ink and checks the CLI gives the same candidates, in order; pointing
//    at a character of the best candidate highlights the ink of the CLI's segment of it
//    (`--segments`: ranges, box, colour on the canvas), leaving clears it, the arrow keys do the same.
// 3. Writes a whole text line at the lines' size: the view must follow the pen (every stroke lands
//    in the visible writing area), the sheet grows, and the page reads it as the CLI does.
// 4. Undo, clear, language and pre-context, replay from a file; the label workflow (Clear, Keep,
//    Replay keep labels with their inks); names, live regions and contrast; keyboard-only use of
//    every control; the error state (server unreachable, busy) and Retry.
// 5. Phone (360 x 740, touch) and the phone held sideways: the line written with touch events, no
//    horizontal scrolling, touch targets >= 44 px, candidates clear of their score bars, the writing
//    area and its buttons on the screen with the results beside them.
// 6. The wasm build (INKJOT_WASM) through the Handwriting API module in Chromium: the same candidates
//    as the native CLI on 10 words; prints its latency per word next to the native server's.
// 7. Checks the page asked for nothing but its own origin and logged no script errors.
// 8. The page recognizing in the browser: `inkjot serve --wasm` serves handwriting.js, the .wasm, the
//    model and the packs (Content-Types, bytes); the page loads them, recognizes replayed words in
//    the browser (no /api/recognize request) with the CLI's candidates on the page's own ink (and
//    the CLI's segments when a character is pointed at), and
//    still recognizes after the server process is killed (INKJOT_SERVER_PID); a second page, with
//    its service worker allowed (the others block it), caches its files, then is reloaded with the
//    server killed and recognizes a word in the browser with the CLI's candidates. Steps 2 to 7 run the
//    page with `?engine=server`, so that they test the server path.
//
// Environment: INKJOT_URL (the server), INKJOT_BIN (the CLI), INKJOT_DEMO_DATA (valid.jsonl.gz),
// INKJOT_WASM (inkjot.wasm; the wasm check is skipped without it), INKJOT_MODELS (default models/),
// CHROMIUM (default /usr/bin/chromium), INKJOT_SCREENSHOTS (a directory for the screenshots serve*.png; optional),
// INKJOT_DEMO_INKS (inks to draw, default 3), INKJOT_DEMO_SCAN (word inks to try, default 60),
// INKJOT_SERVER_PID (the server's process, killed by step 8 to test the page offline; without it the
// offline check is skipped).
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
const WASM = env.INKJOT_WASM || '';
const SERVER_PID = Number(env.INKJOT_SERVER_PID || 0);
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
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const MODELS = env.INKJOT_MODELS || path.join(ROOT, 'models');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inkjot-e2e-'));

/** `inkjot recognize FILE` (English, the server's defaults): one result per line. */
function cliRecognize(file) {
  const run = spawnSync(BIN, ['recognize', file, '--lang', 'en'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`inkjot recognize failed: ${run.stderr}`);
  return run.stdout.trim().split('\n').map((l) => JSON.parse(l));
}

/** `inkjot recognize FILE ARGS..`: the candidates' texts of the first ink. */
function cliTexts(file, args) {
  const run = spawnSync(BIN, ['recognize', file, ...args], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`inkjot recognize ${args.join(' ')} failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n')[0]).candidates.map((c) => c.text);
}

/**
 * Runs `change` on the page and waits for the answer to a request at least `after` requests later
 * than the one shown now, from the browser; returns the candidates' texts and the engine.
 */
async function answerAfter(page, change, after = 1) {
  const before = Number(await page.getAttribute('#results', 'data-answer'));
  await change();
  await page.waitForFunction(([want]) => {
    const r = document.getElementById('results');
    return Number(r.dataset.answer) >= want && r.dataset.engine === 'browser';
  }, [before + after], { timeout: 30000 });
  return page.$$eval('#candidates .text', (els) => els.map((e) => e.textContent));
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

/**
 * Positions (CSS px on the page's writing sheet) of the ink's points scaled into `box` (or, with
 * `height`, scaled to that height with the top left corner of its bounding box at `box`), and their
 * playback times.
 */
function layout(record, box, height = 0) {
  let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
  for (const s of record.strokes) {
    for (let i = 0; i < s.x.length; i++) {
      minX = Math.min(minX, s.x[i]); maxX = Math.max(maxX, s.x[i]);
      minY = Math.min(minY, s.y[i]); maxY = Math.max(maxY, s.y[i]);
    }
  }
  const margin = 30;
  const scale = height ? height / Math.max(maxY - minY, 1)
    : Math.min((box.width - 2 * margin) / Math.max(maxX - minX, 1), (box.height - 2 * margin) / Math.max(maxY - minY, 1), 4);
  const offX = height ? box.x : box.x + (box.width - (maxX - minX) * scale) / 2;
  const offY = height ? box.y : box.y + (box.height - (maxY - minY) * scale) / 2;
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
 * Draws the strokes (sheet coordinates) with CDP input events of one device, at the ink's pace. Each
 * event carries the ink's own time as its timestamp, so the page records the ink's timing, not the
 * event loop's. Like a writer who looks at the page, each stroke goes where the sheet is now: once
 * the page's pending scroll (after a pause near the edge) is done, the sheet's offset on screen is
 * read again. Returns the number of strokes that fell outside the visible writing area.
 */
async function draw(page, cdp, strokes, device) {
  const epoch = Date.now() / 1000 + 0.05;
  const started = performance.now() + 50;
  const at = async (p) => {
    const wait = started + p.ms - performance.now();
    if (wait > 0) await sleep(wait);
    return epoch + p.ms / 1000;
  };
  let outside = 0;
  for (const sheetStroke of strokes) {
    await page.waitForFunction(() => !document.body.dataset.follow, null, { timeout: 5000 });
    const where = await page.evaluate(() => {
      const sheet = document.getElementById('pad-sheet').getBoundingClientRect();
      const view = document.getElementById('pad-scroll');
      const r = view.getBoundingClientRect();
      return {
        x: sheet.left, y: sheet.top, left: r.left + view.clientLeft, top: r.top + view.clientTop,
        right: r.left + view.clientLeft + view.clientWidth, bottom: r.top + view.clientTop + view.clientHeight,
      };
    });
    const stroke = sheetStroke.map((p) => ({
      x: Math.round((p.x + where.x) * 100) / 100, y: Math.round((p.y + where.y) * 100) / 100, ms: p.ms,
    }));
    if (stroke.some((p) => p.x < where.left || p.x > where.right || p.y < where.top || p.y > where.bottom)) {
      outside++;
    }
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
  return outside;
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

/** Edit distance between two strings, in characters. */
function editDistance(a, b) {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) {
      row.push(Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x[i - 1] === y[j - 1] ? 0 : 1)));
    }
    prev = row;
  }
  return prev[y.length];
}
const cer = (text, label) => editDistance(text, label) / Math.max([...label].length, 1);

/** The first text line of the data (30 to 60 characters) that the CLI reads with CER <= 0.1. */
async function pickLine() {
  const lines = [];
  const input = readline.createInterface({
    input: fs.createReadStream(DATA).pipe(zlib.createGunzip()),
    crlfDelay: Infinity,
  });
  for await (const line of input) {
    if (!line.trim()) continue;
    const r = JSON.parse(line);
    const points = r.strokes.reduce((n, s) => n + s.x.length, 0);
    if (r.kind === 'text' && r.label && r.label.length >= 30 && r.label.length <= 60 && points <= 6000
      && r.strokes.every((s) => Array.isArray(s.t))) {
      lines.push(r);
      if (lines.length >= 30) break;
    }
  }
  input.close();
  const file = path.join(tmp, 'lines.jsonl');
  fs.writeFileSync(file, lines.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const results = cliRecognize(file);
  return lines.find((r, i) => results[i].candidates && results[i].candidates.length
    && cer(results[i].candidates[0].text, r.label) <= 0.1);
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

/** The page's download (kept inks and the current one) as parsed records. */
async function downloaded(page, name) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
  const file = path.join(tmp, name);
  await download.saveAs(file);
  return { file, records: fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) };
}

async function screenshot(page, name, fullPage = false) {
  if (!SHOTS) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, name), fullPage });
}

/** `inkjot recognize FILE --lang en --segments`: the best candidate of the first ink. */
function cliBest(file) {
  const run = spawnSync(BIN, ['recognize', file, '--lang', 'en', '--segments'], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`inkjot recognize --segments failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n')[0]).candidates[0];
}

/** The canvas's colour at sheet point (x, y): [r, g, b]. */
const pixelAt = (page, x, y) => page.evaluate(([px, py]) => {
  const pad = document.getElementById('pad');
  const view = document.getElementById('pad-scroll');
  const dpr = window.devicePixelRatio || 1;
  const d = pad.getContext('2d').getImageData(Math.round((px - view.scrollLeft) * dpr),
    Math.round((py - view.scrollTop) * dpr), 1, 1).data;
  return [d[0], d[1], d[2]];
}, [x, y]);
const HIGHLIGHT = [0xc2, 0x41, 0x0c]; // --highlight
const near = (a, b) => a.every((v, i) => Math.abs(v - b[i]) <= 40);

/**
 * The page shows the best candidate of the ink in `file` (the page's own, downloaded): pointing
 * at a character highlights the ink of the CLI's segment of that character (the canvas's
 * `data-highlight` ranges, the points within its box, the highlight colour drawn there), leaving
 * it clears it; with the keyboard focus on the candidate the arrow keys do the same.
 */
async function inkHighlight(page, file, where, shot = '') {
  const best = cliBest(file);
  const ink = JSON.parse(fs.readFileSync(file, 'utf8').trim().split('\n')[0]);
  const chars = (best.segments || []).filter((s) => s.kind === 'char' && !/\s/u.test(s.text));
  // A character with ink in the middle of the word (its index among the characters is checked too).
  const inked = chars.map((_, i) => i).filter((i) => chars[i].strokes.length > 0);
  const k = inked.length ? inked[Math.floor(inked.length / 2)] : -1;
  if (!check(`${where}: the CLI gives the best candidate "${best.text}" a character with ink`, k >= 0)) return;
  const want = chars[k];
  const el = page.locator('#candidates li:first-child .char').nth(k);
  await el.hover();
  const got = JSON.parse((await page.getAttribute('#pad', 'data-highlight')) || '[]');
  const pts = got.flatMap(([si, first, last]) => ink.strokes[si].x.slice(first, last + 1)
    .map((x, i) => [x, ink.strokes[si].y[first + i]]));
  const [x0, y0, x1, y1] = want.box;
  const inside = pts.length > 0 && pts.every(([x, y]) => x >= x0 - 0.01 && x <= x1 + 0.01 && y >= y0 - 0.01 && y <= y1 + 0.01);
  check(`${where}: pointing at "${want.text}" (character ${k + 1} of "${best.text}") highlights the ink of its segment `
    + `(${pts.length} points within its box)`, JSON.stringify(got) === JSON.stringify(want.strokes) && inside,
  `page ${JSON.stringify(got)}, CLI ${JSON.stringify(want.strokes)} box ${JSON.stringify(want.box)}`);
  // A point inside the highlighted stroke, away from its ends, is drawn in the highlight colour.
  const [si, first, last] = want.strokes[0];
  const mid = Math.floor((first + last) / 2);
  const at = [ink.strokes[si].x[mid], ink.strokes[si].y[mid]];
  const lit = await pixelAt(page, ...at);
  check(`${where}: the highlighted ink is drawn in the highlight colour (rgb ${lit.join(', ')})`, near(lit, HIGHLIGHT));
  const ariaHidden = await el.evaluate((e) => e.closest('[aria-hidden="true"]') !== null
    && e.closest('.text').getAttribute('aria-label'));
  check(`${where}: the candidate is read as a whole ("${ariaHidden}"), its characters hidden from screen readers`,
    ariaHidden === best.text);
  if (shot) await screenshot(page, shot, true);
  await page.mouse.move(2, 2);
  const cleared = await page.getAttribute('#pad', 'data-highlight');
  const back = await pixelAt(page, ...at);
  check(`${where}: leaving the character clears the highlight (rgb ${back.join(', ')})`,
    cleared === null && !near(back, HIGHLIGHT), String(cleared));
  // Keyboard: focus on the best candidate highlights its first character, Right the next one.
  await page.locator('#candidates li:first-child .text').focus();
  const first1 = await page.getAttribute('#pad', 'data-highlight');
  await page.keyboard.press('ArrowRight');
  const second = await page.getAttribute('#pad', 'data-highlight');
  await page.keyboard.press('Control+ArrowRight');
  const word = await page.getAttribute('#pad', 'data-highlight');
  await page.locator('#candidates li:first-child .text').blur();
  const blurred = await page.getAttribute('#pad', 'data-highlight');
  const expect = (i) => (chars[i] ? JSON.stringify(chars[i].strokes) : null);
  check(`${where}: with the focus on the candidate the arrow keys highlight its characters' ink, blur clears it`,
    first1 === (chars[0].strokes.length ? expect(0) : '[]') && (chars.length < 2 || second === (chars[1].strokes.length ? expect(1) : '[]'))
    && word !== null && blurred === null,
    `${first1} / ${second} / ${word} / ${blurred}; CLI ${expect(0)} / ${expect(1)}`);
}

/** Size of the writing sheet and of its visible part, CSS px. */
const sheetSize = (page) => page.evaluate(() => {
  const view = document.getElementById('pad-scroll');
  return { w: view.scrollWidth, h: view.scrollHeight, viewW: view.clientWidth, viewH: view.clientHeight };
});

/** Distance between the page's ruled lines, CSS px. */
const linePitch = (page) => page.evaluate(
  () => parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--line-pitch')),
);

/**
 * Writes `record` (a text line) on the first ruled line at the lines' size, its height 0.85 of the
 * line pitch (about what the ruling invites), and checks the page made room for all of it and reads
 * it as the CLI reads the page's own ink.
 */
async function writeLine(page, cdp, record, device, where) {
  const n = record.strokes.length;
  await page.click('#clear');
  const pitch = await linePitch(page);
  const before = await sheetSize(page);
  const outside = await draw(page, cdp, layout(record, { x: 24, y: 0.12 * pitch }, 0.85 * pitch), device);
  const line = await shown(page, n);
  const after = await sheetSize(page);
  check(`${where}: a ${record.label.length}-character line written at the lines' size (${device}) `
    + `always had room: the view followed the pen`, outside === 0, `${outside} of ${n} strokes fell outside the view`);
  check(`${where}: the writing sheet grew to the right (${before.w} -> ${after.w} px)`, after.w > before.viewW);
  const { file, records } = await downloaded(page, `line-${device}.jsonl`);
  const cli = cliRecognize(file)[0].candidates.map((c) => c.text);
  check(`${where}: page's candidates for the line equal the CLI's on the page's ink`,
    JSON.stringify(cli) === JSON.stringify(line.texts) && records.length === 1,
    `CLI ${JSON.stringify(cli)}, page ${JSON.stringify(line.texts)}`);
  const err = cer(line.top, record.label);
  check(`${where}: the line reads "${line.top}" (label "${record.label}", CER ${err.toFixed(3)} <= 0.2)`, err <= 0.2);
  return line;
}

/** No horizontal scrolling, touch targets >= 44 px, candidates clear of their score bars. */
async function phoneLayout(page, where) {
  const m = await page.evaluate(() => {
    const visible = (e) => e.offsetParent !== null && getComputedStyle(e).visibility !== 'hidden';
    const targets = [...document.querySelectorAll('button, select, input[type=text], textarea, label.check')]
      .filter(visible)
      .map((e) => { const r = e.getBoundingClientRect(); return { id: e.id || e.className, w: r.width, h: r.height }; });
    const overlaps = [...document.querySelectorAll('#candidates li')].filter((li) => {
      const a = li.querySelector('.text').getBoundingClientRect();
      const b = li.querySelector('.barbox').getBoundingClientRect();
      return a.right > b.left && a.left < b.right && a.bottom > b.top && a.top < b.bottom;
    }).length;
    return {
      scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth, targets, overlaps,
      candidates: document.querySelectorAll('#candidates li').length,
    };
  });
  check(`${where}: no horizontal scrolling (page ${m.scrollWidth} px wide, screen ${m.width} px)`,
    m.scrollWidth <= m.width);
  const small = m.targets.filter((t) => t.w < 44 || t.h < 44);
  check(`${where}: all ${m.targets.length} controls are touch targets of at least 44 x 44 px`, small.length === 0,
    JSON.stringify(small));
  check(`${where}: ${m.candidates} candidates wrap clear of their score bars`, m.overlaps === 0, `${m.overlaps} overlap`);
}

/** Contrast ratio (WCAG 2) of two CSS colours `rgb(r, g, b)` or `#rrggbb`. */
function contrast(a, b) {
  const rgb = (c) => (c.startsWith('#') ? c.slice(1).match(/../g).map((h) => parseInt(h, 16)) : c.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number));
  const lum = (c) => {
    const [r, g, bl] = rgb(c).map((v) => v / 255).map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Accessibility: names, live regions, contrast of text (>= 4.5) and of guides and borders (>= 3). */
async function accessibility(page) {
  const a = await page.evaluate(() => {
    const name = (e) => (e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].textContent)
      || e.textContent || e.title || '').trim();
    const unnamed = [...document.querySelectorAll('button, select, input, textarea, canvas, ol')]
      .filter((e) => !e.hidden && e.type !== 'file' && !name(e)).map((e) => e.id || e.outerHTML.slice(0, 60));
    const background = (e) => {
      for (let n = e; n; n = n.parentElement) {
        const c = getComputedStyle(n).backgroundColor;
        if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') return c;
      }
      return 'rgb(255, 255, 255)';
    };
    const texts = ['header p', 'label', '#hint', '#status', '#kept', '#footer', '#candidates .score', '#top', 'button']
      .flatMap((sel) => [...document.querySelectorAll(sel)].slice(0, 1).map((e) => ({
        sel, color: getComputedStyle(e).color, bg: sel === '#hint' ? getComputedStyle(document.documentElement).getPropertyValue('--paper').trim() : background(e),
      })));
    const css = (v) => getComputedStyle(document.documentElement).getPropertyValue(v).trim();
    return {
      unnamed, texts, guide: css('--guide'), paper: css('--paper'), line: css('--line'),
      live: ['status', 'top', 'label-note'].filter((id) => document.getElementById(id).getAttribute('aria-live') === 'polite'),
    };
  });
  check('every control, the writing area and the candidate list have an accessible name', a.unnamed.length === 0,
    a.unnamed.join(', '));
  check('status, top candidate and label note are polite live regions', a.live.length === 3, a.live.join(', '));
  const ratios = a.texts.map((t) => ({ sel: t.sel, ratio: contrast(t.color, t.bg) }));
  const low = ratios.filter((r) => r.ratio < 4.5);
  check(`text contrast >= 4.5:1 (lowest ${Math.min(...ratios.map((r) => r.ratio)).toFixed(2)}:1: `
    + `${ratios.map((r) => `${r.sel} ${r.ratio.toFixed(2)}`).join(', ')})`, low.length === 0, JSON.stringify(low));
  const guide = contrast(a.guide, a.paper);
  const border = contrast(a.line, '#ffffff');
  check(`ruled lines ${guide.toFixed(2)}:1 on the paper, control borders ${border.toFixed(2)}:1 (>= 3:1)`,
    guide >= 3 && border >= 3);
}

/**
 * The wasm build in Chromium through the Handwriting API module: the page's origin serves the
 * module, the wasm and the model files (routed from disk, as `inkjot serve` would serve static
 * files); the candidates must equal the native CLI's. Prints the latency per word next to the
 * native server's (`latency_ms` of /api/recognize, same words, same machine).
 */
async function wasmInBrowser(page, words) {
  const files = {
    'handwriting.js': [path.join(ROOT, 'src/bin/inkjot/web/handwriting.js'), 'text/javascript'],
    'inkjot.wasm': [WASM, 'application/wasm'],
    'recognizer-int8.safetensors': [path.join(MODELS, 'recognizer-int8.safetensors'), 'application/octet-stream'],
    'en/lm.bin': [path.join(MODELS, 'en/lm.bin'), 'application/octet-stream'],
    'en/decoder.json': [path.join(MODELS, 'en/decoder.json'), 'application/json'],
  };
  await page.route(`${BASE}wasm/**`, (route) => {
    const name = new URL(route.request().url()).pathname.replace(/^\/wasm\//, '');
    const file = files[name];
    return file ? route.fulfill({ body: fs.readFileSync(file[0]), contentType: file[1] }) : route.fulfill({ status: 404 });
  });
  const result = await page.evaluate(async (inks) => {
    const api = await import('/wasm/handwriting.js');
    const began = performance.now();
    const inkjot = await api.createInkjot({
      wasm: '/wasm/inkjot.wasm', model: '/wasm/recognizer-int8.safetensors',
      languages: { en: { lm: '/wasm/en/lm.bin', decoder: '/wasm/en/decoder.json' } },
    });
    const loadMs = performance.now() - began;
    api.installHandwritingApi(inkjot, { force: true });
    const recognizer = await navigator.createHandwritingRecognizer({ languages: ['en'] });
    const out = [];
    for (const ink of inks) {
      const drawing = recognizer.startDrawing({ alternatives: 5 });
      for (const s of ink.strokes) {
        const stroke = new HandwritingStroke();
        s.x.forEach((x, k) => stroke.addPoint({ x, y: s.y[k], t: s.t[k] }));
        drawing.addStroke(stroke);
      }
      const t = performance.now();
      const predictions = await drawing.getPrediction();
      const wasmMs = performance.now() - t;
      const response = await fetch('/api/recognize', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ strokes: ink.strokes, lang: 'en', nbest: 5 }),
      });
      const native = await response.json();
      out.push({ texts: predictions.map((p) => p.text), wasmMs, nativeMs: native.latency_ms,
        segmented: predictions[0].segmentationResult.length > 0 });
    }
    return { loadMs, out };
  }, words.map((w) => w.record));
  await page.unroute(`${BASE}wasm/**`);
  const same = result.out.filter((o, i) => JSON.stringify(o.texts) === JSON.stringify(words[i].cli.map((c) => c.text)));
  check(`in-browser (wasm) recognizer gives the native CLI's candidates on ${same.length} of ${words.length} words`,
    same.length === words.length, JSON.stringify(result.out.map((o) => o.texts[0])));
  check('in-browser predictions carry a segmentation', result.out.every((o) => o.segmented));
  const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
  console.log(`      wasm in Chromium: load ${result.loadMs.toFixed(0)} ms; per word median `
    + `${median(result.out.map((o) => o.wasmMs)).toFixed(1)} ms, native server median `
    + `${median(result.out.map((o) => o.nativeMs)).toFixed(1)} ms (${words.length} words)`);
}

/** Presses Tab until `id` has the focus (at most 40 times); true when it got there. */
async function tabTo(page, id) {
  for (let i = 0; i < 40; i++) {
    if (await page.evaluate((want) => document.activeElement && document.activeElement.id === want, id)) return true;
    await page.keyboard.press('Tab');
  }
  return false;
}

/** Keyboard only: every control is reached with Tab, shows its focus, and works from the keyboard. */
async function keyboard(page, record) {
  await page.reload(); // Tab then starts from the top of the page
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  const order = [];
  for (let i = 0; i < 40; i++) {
    await page.keyboard.press('Tab');
    const f = await page.evaluate(() => {
      const e = document.activeElement;
      return { id: e.id, outline: getComputedStyle(e).outlineStyle };
    });
    if (!f.id || order.some((o) => o.id === f.id)) break;
    order.push(f);
  }
  const want = ['lang', 'use-lm', 'undo', 'clear', 'newline', 'label', 'keep', 'download', 'open-file',
    'replay-speed', 'context', 'user-words'];
  const missed = want.filter((id) => !order.some((o) => o.id === id));
  check(`Tab reaches every enabled control (${order.map((o) => o.id).join(' ')})`, missed.length === 0,
    `missed ${missed.join(', ')}`);
  check('every focused control shows a focus outline', order.every((o) => o.outline !== 'none'),
    JSON.stringify(order.filter((o) => o.outline === 'none')));

  // Open an ink file, pick it and replay it, all from the keyboard.
  const file = path.join(tmp, 'keyboard.jsonl');
  fs.writeFileSync(file, `${JSON.stringify({ ...record, label: 'first' })}\n${JSON.stringify(record)}\n`);
  await page.evaluate(() => document.activeElement.blur());
  let opened = await tabTo(page, 'open-file');
  if (opened) {
    const choosing = page.waitForEvent('filechooser', { timeout: 10000 });
    await sleep(200); // Playwright intercepts the chooser once it listens for it
    await page.keyboard.press('Enter');
    const chooser = await choosing;
    await chooser.setFiles(file);
    await page.waitForFunction(() => !document.getElementById('replay-select').disabled);
  }
  check('"Open ink file…" opens the file chooser from the keyboard (Enter)', opened);
  opened = await tabTo(page, 'replay-select');
  await page.keyboard.press('ArrowDown');
  const picked = await page.inputValue('#replay-select');
  await tabTo(page, 'replay');
  await page.keyboard.press('Enter');
  await page.waitForSelector('body[data-replay="done"]', { timeout: 30000 });
  const replayed = await shown(page, record.strokes.length);
  check('the replay list and Replay work from the keyboard (arrow to ink 2, Enter)',
    opened && picked === '1' && replayed.top === record.label, `picked ${picked}, shows "${replayed.top}"`);
  await screenshot(page, 'serve-keyboard.png', true);

  // Space toggles the language model; the page asks again without it.
  await tabTo(page, 'use-lm');
  const asked = page.waitForRequest((r) => r.url().endsWith('/api/recognize')
    && JSON.parse(r.postData() || '{}').use_lm === false, { timeout: 10000 });
  await page.keyboard.press('Space');
  await asked;
  await page.keyboard.press('Space');
  check('Space toggles the language model checkbox', await page.isChecked('#use-lm'));

  // Label typed and kept from the keyboard; Clear (Enter) then empties the next ink.
  const keptBefore = Number((await page.textContent('#kept')).split(' ')[0]);
  await tabTo(page, 'label');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('typed at the keyboard');
  await tabTo(page, 'keep');
  await page.keyboard.press('Enter');
  const kept = Number((await page.textContent('#kept')).split(' ')[0]);
  const note = await page.textContent('#label-note');
  await shown(page, 0);
  await replayKept(page, record);
  await page.evaluate(() => document.activeElement.blur());
  await tabTo(page, 'clear');
  await page.keyboard.press('Enter');
  await shown(page, 0);
  check('Keep ink (label typed at the keyboard) and Clear work from the keyboard',
    kept === keptBefore + 1 && note.includes('typed at the keyboard') && (await page.textContent('#top')) === '',
    `${keptBefore} -> ${kept} kept, note "${note}"`);
}

/** Replays `record` (the file loaded last) so that there is an ink on the page again. */
async function replayKept(page, record) {
  await page.click('#replay');
  await page.waitForSelector('body[data-replay="done"]', { timeout: 30000 });
  await shown(page, record.strokes.length);
}

/** Label workflow: the label goes with its ink through Clear, Keep and Replay. */
async function labels(page, cdp, record) {
  const scribble = [[{ x: 40, y: 40, ms: 0 }, { x: 60, y: 30, ms: 20 }, { x: 80, y: 45, ms: 40 }, { x: 100, y: 35, ms: 60 }]];
  const keptBefore = Number((await page.textContent('#kept')).split(' ')[0]);
  await page.click('#clear');
  await draw(page, cdp, scribble, 'mouse');
  await page.fill('#label', 'wrong word');
  await page.click('#clear');
  const afterClear = await page.inputValue('#label');
  const note = await page.textContent('#label-note');
  check('Clear empties the label with its ink, and says so', afterClear === '' && note.includes('wrong word'),
    `label "${afterClear}", note "${note}"`);
  await draw(page, cdp, scribble, 'mouse');
  await shown(page, 1);
  await page.click('#keep');
  await draw(page, cdp, scribble, 'mouse');
  await shown(page, 1);
  await page.fill('#label', 'second');
  await page.click('#keep');
  await draw(page, cdp, scribble, 'mouse');
  await shown(page, 1);
  await page.fill('#label', 'typed over');
  const file = path.join(tmp, 'labelled.jsonl');
  fs.writeFileSync(file, `${JSON.stringify({ ...record, label: 'replayed label' })}\n`);
  await page.setInputFiles('#replay-file', file);
  await page.click('#replay');
  await page.waitForSelector('body[data-replay="done"]', { timeout: 30000 });
  const replayNote = await page.textContent('#label-note');
  check('Replay gives the replayed ink its own label and says which typed label it replaced',
    (await page.inputValue('#label')) === 'replayed label' && replayNote.includes('typed over'), replayNote);
  const { records } = await downloaded(page, 'labels.jsonl');
  const got = records.slice(keptBefore).map((r) => r.label ?? null);
  check('downloaded inks carry the labels of their own inks: [none, "second", "replayed label"]',
    JSON.stringify(got) === JSON.stringify([null, 'second', 'replayed label']), JSON.stringify(got));
}

/** Error state: the server unreachable or busy; the page says what to do and Retry recovers. */
async function errors(page, record) {
  const file = path.join(tmp, 'error.jsonl');
  fs.writeFileSync(file, `${JSON.stringify(record)}\n`);
  await page.setInputFiles('#replay-file', file);
  await page.route('**/api/recognize', (route) => route.abort('connectionrefused'));
  await page.click('#replay');
  await page.waitForSelector('body[data-replay="done"]', { timeout: 30000 });
  await page.waitForSelector('#retry:not([hidden])', { timeout: 10000 });
  const status = await page.textContent('#status');
  check('server unreachable: the status says the local server may have stopped, how to restart it, and offers Retry',
    /cannot reach the inkjot server/.test(status) && /inkjot serve/.test(status)
    && await page.evaluate(() => document.getElementById('status').classList.contains('error')), status);
  await screenshot(page, 'serve-error.png');
  await page.unroute('**/api/recognize');
  await page.click('#retry');
  const back = await shown(page, record.strokes.length);
  check('Retry recognizes again once the server answers', back.top === record.label
    && await page.isHidden('#retry'), `shows "${back.top}"`);
  await page.route('**/api/recognize', (route) => route.fulfill({
    status: 503, contentType: 'application/json', body: '{"error": "busy"}',
  }));
  await page.click('#undo');
  await page.waitForSelector('#retry:not([hidden])', { timeout: 10000 });
  const busy = await page.textContent('#status');
  check('server busy (503): the status gives its message and offers Retry', /busy/.test(busy) && /503/.test(busy), busy);
  await page.unroute('**/api/recognize');
  await page.click('#retry');
  await shown(page, record.strokes.length - 1);
}

async function launch(viewport, mobile, query = '?engine=server', serviceWorkers = 'block') {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'inkjot-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport,
    deviceScaleFactor: mobile ? 2 : 1,
    isMobile: mobile,
    hasTouch: true,
    acceptDownloads: true,
    // Requests a service worker answers are not seen by page.route, which the tests use; only the
    // service worker's own check allows it.
    serviceWorkers,
  });
  const page = context.pages()[0] || await context.newPage();
  const foreign = [];
  const errors = [];
  page.on('request', (r) => { if (!r.url().startsWith(BASE) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreign.push(r.url()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    // Requests the test itself fails on purpose are logged by the browser; they are not script errors.
    if (m.type() === 'error' && !/Failed to load resource|ERR_CONNECTION_REFUSED/.test(m.text())) errors.push(m.text());
  });
  await page.goto(BASE + query);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 30000 });
  await page.evaluate(() => {
    window.pointerTypes = [];
    document.getElementById('pad').addEventListener('pointerdown', (e) => window.pointerTypes.push(e.pointerType));
  });
  const cdp = await context.newCDPSession(page);
  return {
    context, page, cdp, foreign, errors,
    close: async () => { await context.close(); fs.rmSync(profile, { recursive: true, force: true }); },
  };
}

/** Replays `record` from a file at 10x speed and returns what the page shows for it. */
async function replayRecord(page, record, name) {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, `${JSON.stringify(record)}\n`);
  await page.setInputFiles('#replay-file', file);
  await page.selectOption('#replay-speed', '10');
  await page.click('#replay');
  await page.waitForSelector('body[data-replay="done"]', { timeout: 30000 });
  const got = await shown(page, record.strokes.length);
  return {
    ...got,
    engine: await page.getAttribute('#results', 'data-engine'),
    status: await page.textContent('#status'),
  };
}

/**
 * The page recognizing in the browser (step 8): the served files, then the page with its default
 * engine on a few words, then the same page after the server process is killed.
 */
async function inBrowserPage(info, words) {
  const wasm = info.wasm || {};
  if (!check('/api/info offers in-browser recognition (inkjot serve --wasm)', wasm.available === true,
    JSON.stringify(wasm))) return;
  const en = wasm.languages && wasm.languages.en;
  const files = [
    [wasm.module, 'text/javascript; charset=utf-8', path.join(ROOT, 'src/bin/inkjot/web/handwriting.js')],
    [wasm.wasm, 'application/wasm', WASM],
    [wasm.model, 'application/octet-stream', path.join(MODELS, 'recognizer-int8.safetensors')],
    [en && en.lm, 'application/octet-stream', path.join(MODELS, 'en/lm.bin')],
    [en && en.decoder, 'application/json', path.join(MODELS, 'en/decoder.json')],
  ];
  for (const [url, type, file] of files) {
    const response = await fetch(new URL(url || 'missing', BASE));
    const body = Buffer.from(await response.arrayBuffer());
    const same = !file || (fs.existsSync(file) && body.equals(fs.readFileSync(file)));
    check(`GET ${url}: ${type}, the bytes of ${file ? path.relative(ROOT, file) : 'the file'}`,
      response.status === 200 && response.headers.get('content-type') === type && same
      && /wasm-unsafe-eval/.test(response.headers.get('content-security-policy') || ''),
      `${response.status} ${response.headers.get('content-type')}, ${body.length} bytes, same ${same}`);
  }
  const missing = await fetch(new URL('models/xx/lm.bin', BASE));
  check('an unknown pack is 404', missing.status === 404, String(missing.status));

  const browser = await launch({ width: 1000, height: 800 }, false, '');
  try {
    const { page } = browser;
    const began = Date.now();
    await page.waitForSelector('body[data-local="ready"], body[data-local="failed"]', { timeout: 60000 });
    const loaded = await page.getAttribute('body', 'data-local');
    check(`the page loads the in-browser recognizer (${Date.now() - began} ms)`, loaded === 'ready',
      await page.textContent('#engine'));
    // The .wasm failing to load: the page says so and recognizes through the server.
    await page.route('**/inkjot.wasm', (route) => route.abort('connectionrefused'));
    await page.reload();
    await page.waitForSelector('body[data-local="failed"]', { timeout: 60000 });
    const fallback = await replayRecord(page, words[0].record, 'fallback.jsonl');
    const engineNote = await page.textContent('#engine');
    check('when the wasm fails to load the page says so and the server recognizes',
      fallback.engine === 'server' && fallback.top === words[0].record.label && /by the server/.test(fallback.status)
      && /failed to load/.test(engineNote), `${fallback.engine}: "${fallback.top}"; "${engineNote}"`);
    await page.unroute('**/inkjot.wasm');
    await page.reload();
    await page.waitForSelector('body[data-local="ready"]', { timeout: 60000 });
    const asked = [];
    page.on('request', (r) => { if (r.url().endsWith('/api/recognize')) asked.push(r.url()); });
    for (const [k, { record }] of words.entries()) {
      const got = await replayRecord(page, record, `local-${k}.jsonl`);
      const { file } = await downloaded(page, `local-download-${k}.jsonl`);
      const cli = cliRecognize(file)[0].candidates.map((c) => c.text);
      check(`"${record.label}" recognized in this browser with the CLI's candidates on the page's ink`,
        got.engine === 'browser' && /in this browser/.test(got.status)
        && JSON.stringify(got.texts) === JSON.stringify(cli) && got.top === record.label,
        `${got.engine}: ${JSON.stringify(got.texts)}, CLI ${JSON.stringify(cli)}; status "${got.status}"`);
    }
    check('the page asked the server nothing to recognize', asked.length === 0, `${asked.length} requests`);
    await inkHighlight(page, path.join(tmp, `local-download-${words.length - 1}.jsonl`),
      `"${words[words.length - 1].record.label}" (in this browser)`);

    // The page's options in the browser, against the CLI on the page's ink (the last word's).
    const file = path.join(tmp, `local-download-${words.length - 1}.jsonl`);
    let texts = await answerAfter(page, () => page.fill('#context', 'I will '));
    let cli = cliTexts(file, ['--lang', 'en', '--pre-context', 'I will ']);
    check('in this browser, "Text before" gives the CLI\'s --pre-context candidates',
      JSON.stringify(texts) === JSON.stringify(cli), `page ${JSON.stringify(texts)}, CLI ${JSON.stringify(cli)}`);
    await answerAfter(page, () => page.fill('#context', ''));
    texts = await answerAfter(page, () => page.uncheck('#use-lm'));
    cli = cliTexts(file, ['--no-lm']);
    check('in this browser, without the language model the candidates are the CLI\'s --no-lm ones',
      JSON.stringify(texts) === JSON.stringify(cli), `page ${JSON.stringify(texts)}, CLI ${JSON.stringify(cli)}`);
    await answerAfter(page, () => page.check('#use-lm'));
    const packs = [];
    page.on('request', (r) => { if (/\/models\/de\//.test(r.url())) packs.push(r.url()); });
    // The German pack is loaded when German is first chosen (the server answers meanwhile).
    texts = await answerAfter(page, () => page.selectOption('#lang', 'de'), 2);
    cli = cliTexts(file, ['--lang', 'de']);
    check('choosing German loads its pack into the browser and gives the CLI\'s --lang de candidates',
      packs.length === 2 && JSON.stringify(texts) === JSON.stringify(cli),
      `${packs.length} pack requests; page ${JSON.stringify(texts)}, CLI ${JSON.stringify(cli)}`);
    await answerAfter(page, () => page.selectOption('#lang', 'en'));

    // A page with its service worker: once it has cached its files, it loads without the server.
    const offline = await launch({ width: 1000, height: 800 }, false, '', 'allow');
    const cached = await offline.page.evaluate(async () => {
      const want = ['/', '/app.js', '/style.css', '/handwriting.js', '/api/info', '/inkjot.wasm',
        '/models/recognizer-int8.safetensors', '/models/en/lm.bin', '/models/en/decoder.json'];
      await Promise.race([navigator.serviceWorker.ready, new Promise((r) => setTimeout(r, 60000))]);
      let urls = [];
      let names = [];
      for (let i = 0; i < 600; i++) {
        names = await caches.keys();
        urls = [];
        for (const name of names) {
          for (const r of await (await caches.open(name)).keys()) urls.push(new URL(r.url).pathname);
        }
        if (navigator.serviceWorker.controller && want.every((u) => urls.includes(u))) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      return { names, urls, missing: want.filter((u) => !urls.includes(u)), controlled: Boolean(navigator.serviceWorker.controller) };
    });
    check(`the service worker cached the page, the wasm, the model and the English pack in "${cached.names.join(', ')}"`,
      cached.missing.length === 0 && cached.controlled && cached.names.length === 1
      && cached.names[0].startsWith(`inkjot-${info.version}-`),
      `missing ${cached.missing.join(' ')}; controlled ${cached.controlled}; caches ${cached.names.join(', ')}`);

    if (SERVER_PID) {
      process.kill(SERVER_PID, 'SIGTERM');
      let down = false;
      for (let i = 0; i < 50 && !down; i++) {
        try {
          await fetch(new URL('api/info', BASE));
          await sleep(100);
        } catch {
          down = true;
        }
      }
      check('the server process is killed', down);
      const { record } = words[words.length - 1];
      const after = await replayRecord(page, record, 'offline.jsonl');
      check(`with the server gone the page still recognizes "${record.label}" in this browser`,
        after.engine === 'browser' && after.top === record.label && /in this browser/.test(after.status),
        `${after.engine}: "${after.top}"; status "${after.status}"`);
      await page.evaluate(() => window.scrollTo(0, 0));
      await screenshot(page, 'serve-offline.png', true);

      // Reloaded with the server gone: the service worker serves the page and its files.
      const sw = offline.page;
      let loaded = 'no';
      try {
        await sw.reload();
        await sw.waitForSelector('body[data-local="ready"]', { timeout: 60000 });
        loaded = 'ready';
      } catch (err) {
        loaded = `${err.message.split('\n')[0]}; body ${await sw.evaluate(() => document.body && document.body.dataset.local).catch(() => '?')}`;
      }
      if (check('with the server gone the page reloads from its service worker and loads the in-browser recognizer',
        loaded === 'ready', loaded)) {
        const again = await replayRecord(sw, record, 'sw-offline.jsonl');
        const { file } = await downloaded(sw, 'sw-offline-download.jsonl');
        const cli = cliRecognize(file)[0].candidates.map((c) => c.text);
        check(`reloaded without the server, the page recognizes "${record.label}" in this browser with the CLI's candidates`,
          again.engine === 'browser' && JSON.stringify(again.texts) === JSON.stringify(cli),
          `${again.engine}: ${JSON.stringify(again.texts)}, CLI ${JSON.stringify(cli)}`);
      }
      check('service worker page: no script errors', offline.errors.length === 0, offline.errors.join(' | '));
    } else {
      console.log('      (INKJOT_SERVER_PID not set: the offline check is skipped)');
    }
    await offline.close();
    check('in-browser page: nothing requested outside its own origin', browser.foreign.length === 0,
      browser.foreign.join(' '));
    check('in-browser page: no script errors', browser.errors.length === 0, browser.errors.join(' | '));
  } finally {
    await browser.close();
  }
}

async function main() {
  for (const [name, value] of [['INKJOT_URL', BASE], ['INKJOT_BIN', BIN], ['INKJOT_DEMO_DATA', DATA]]) {
    if (!value) throw new Error(`${name} is not set (run tests/demo/run.sh)`);
  }
  const info = await waitForServer();
  check('server answers /api/info with languages', Array.isArray(info.languages)
    && info.languages.includes('en'), JSON.stringify(info));

  const picked = await pickInks();
  const chosen = picked.slice(0, INKS);
  if (!check(`the CLI recognizes at least one of the first ${SCAN} UNIPEN valid words`, chosen.length > 0)) {
    return;
  }
  console.log(`      drawing ${chosen.map((c) => `"${c.record.label}" (${c.record.id})`).join(', ')}`);
  const lineRecord = await pickLine();
  check('the CLI reads one of the first 30 UNIPEN valid text lines with CER <= 0.1', Boolean(lineRecord));

  const desktop = await launch({ width: 1000, height: 800 }, false);
  try {
    const { page, cdp } = desktop;
    check('page loads with the language list', (await page.inputValue('#lang')) === 'en');
    const pitch = await linePitch(page);

    for (const [k, { record, cli }] of chosen.entries()) {
      const device = DEVICES[k % DEVICES.length];
      const label = record.label;
      const n = record.strokes.length;
      await page.click('#clear');
      await page.evaluate(() => { window.pointerTypes = []; });
      // Large, three ruled lines tall, from the top left: the line below is written at the lines' size.
      const outside = await draw(page, cdp, layout(record, { x: 24, y: 0.12 * pitch }, 2.6 * pitch), device);
      const page1 = await shown(page, n);
      const types = await page.evaluate(() => window.pointerTypes);
      check(`"${label}" drawn with ${device} pointer events (${n} strokes)`,
        types.length === n && types.every((t) => t === device) && outside === 0, `${JSON.stringify(types)}, ${outside} outside`);
      check(`"${label}": page's top candidate is the label`, page1.top === label, `page shows "${page1.top}"`);
      check(`"${label}": page's top candidate equals the CLI's`, page1.top === cli[0].text,
        `page "${page1.top}", CLI "${cli[0].text}"`);

      // The page's own ink, downloaded, recognized by the CLI: the same candidates, in order.
      const { file, records } = await downloaded(page, `download-${k}.jsonl`);
      const saved = records[0];
      const shape = records.length === 1 && typeof saved.id === 'string' && saved.strokes.length === n
        && saved.strokes.every((s) => s.x.length > 1 && s.x.length === s.y.length && s.t.length === s.x.length);
      check(`"${label}": download is one JSONL ink with ${n} strokes of x, y, t`, shape, JSON.stringify(saved).slice(0, 200));
      const again = cliRecognize(file)[0].candidates.map((c) => c.text);
      check(`"${label}": CLI on the downloaded ink gives the page's candidates`,
        JSON.stringify(again) === JSON.stringify(page1.texts),
        `CLI ${JSON.stringify(again)}, page ${JSON.stringify(page1.texts)}`);
      const span = (s) => s.t[s.t.length - 1] - s.t[0];
      const drift = Math.max(...saved.strokes.map((s, i) => Math.abs(span(s) - span(record.strokes[i]))));
      check(`"${label}": the page recorded the ink's timing (stroke durations within 5 ms)`, drift <= 5,
        `largest difference ${drift.toFixed(1)} ms`);

      if (k === 0) await inkHighlight(page, file, `"${label}" (server)`, 'serve-highlight.png');

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

    if (lineRecord) {
      await writeLine(page, cdp, lineRecord, 'pen', 'desktop');
      await page.evaluate(() => document.getElementById('pad-scroll').scrollTo(0, 0)); // the line's start
      await screenshot(page, 'serve.png', true);
    }
    if (WASM) await wasmInBrowser(page, picked.slice(0, 10));
    await labels(page, cdp, record);
    await accessibility(page);
    await keyboard(page, record);
    await errors(page, record);

    check('desktop: the page requested nothing outside its own origin', desktop.foreign.length === 0, desktop.foreign.join(' '));
    check('desktop: no script errors on the page', desktop.errors.length === 0, desktop.errors.join(' | '));
  } finally {
    await desktop.close();
  }

  // A phone: 360 x 740 CSS px, touch only; then held sideways.
  const phone = await launch({ width: 360, height: 740 }, true);
  try {
    const { page, cdp } = phone;
    await phoneLayout(page, 'phone, empty page');
    if (lineRecord) {
      await page.evaluate(() => { window.pointerTypes = []; });
      await writeLine(page, cdp, lineRecord, 'touch', 'phone');
      const types = await page.evaluate(() => window.pointerTypes);
      check('phone: the line was drawn with touch pointer events', types.length === lineRecord.strokes.length
        && types.every((t) => t === 'touch'), JSON.stringify([...new Set(types)]));
      await phoneLayout(page, 'phone, after the line');
      await page.evaluate(() => window.scrollTo(0, 0));
      await screenshot(page, 'serve-phone.png');
    }
    await page.setViewportSize({ width: 740, height: 360 });
    await sleep(300);
    await page.evaluate(() => window.scrollTo(0, 0));
    const fit = await page.evaluate(() => {
      const r = (id) => document.getElementById(id).getBoundingClientRect();
      const pad = r('pad-scroll');
      const edit = document.querySelector('.edit').getBoundingClientRect();
      const results = r('results');
      return { pad: pad.bottom, edit: edit.bottom, results: results.top, resultsLeft: results.left, padRight: pad.right, h: innerHeight };
    });
    check(`phone held sideways: the writing area and its buttons fit the screen (bottom ${fit.edit.toFixed(0)} <= ${fit.h} px) `
      + 'and the results are beside them', fit.edit <= fit.h && fit.results < fit.h && fit.resultsLeft >= fit.padRight,
    JSON.stringify(fit));
    await phoneLayout(page, 'phone held sideways');
    await screenshot(page, 'serve-phone-landscape.png');
    check('phone: the page requested nothing outside its own origin', phone.foreign.length === 0, phone.foreign.join(' '));
    check('phone: no script errors on the page', phone.errors.length === 0, phone.errors.join(' | '));
  } finally {
    await phone.close();
  }

  // Last: it kills the server.
  await inBrowserPage(info, picked.slice(0, 4));
}

const guard = setTimeout(() => {
  check('finishes within 10 minutes', false);
  finish();
}, 600000);
try {
  await main();
} catch (e) {
  check('test ran', false, e.stack || String(e));
}
clearTimeout(guard);
fs.rmSync(tmp, { recursive: true, force: true });
finish();
