// The wasm build through the Handwriting API module (src/bin/inkjot/web/handwriting.js), in Node:
// loads the model and the English pack as bytes, recognizes UNIPEN valid words and checks the
// candidates equal the native CLI's (`inkjot recognize`), in order, with segmentation that covers
// each candidate's ink; the `useLm: false` hint as `--no-lm`, and `addLanguage`. Run through
// tests/wasm/run.sh. Prints `N passed, M failed` last.
//
// Arguments: WASM MODELS_DIR DATA.jsonl.gz INKJOT_BIN [WORDS]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createInkjot, HandwritingStroke } from '../../src/bin/inkjot/web/handwriting.js';

const [wasm, models, data, bin, count = '20'] = process.argv.slice(2);
let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) passed++; else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'}  ${name}${ok || !detail ? '' : `: ${detail}`}`);
}

const words = [];
for (const line of zlib.gunzipSync(fs.readFileSync(data)).toString().split('\n')) {
  if (!line) continue;
  const r = JSON.parse(line);
  if (r.kind === 'word' && /^[A-Za-z]{3,12}$/.test(r.label || '') && r.strokes.every((s) => Array.isArray(s.t))) {
    words.push(r);
    if (words.length >= Number(count)) break;
  }
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'inkjot-wasm-'));
const file = path.join(tmp, 'words.jsonl');
fs.writeFileSync(file, words.map((r) => JSON.stringify(r)).join('\n') + '\n');
const run = spawnSync(bin, ['recognize', file, '--lang', 'en'], { encoding: 'utf8' });
const native = run.stdout.trim().split('\n').map((l) => JSON.parse(l).candidates.map((c) => c.text));
fs.rmSync(tmp, { recursive: true, force: true });

let began = performance.now();
const inkjot = await createInkjot({
  wasm: fs.readFileSync(wasm),
  model: fs.readFileSync(path.join(models, 'recognizer-int8.safetensors')),
  languages: { en: { lm: fs.readFileSync(path.join(models, 'en/lm.bin')), decoder: fs.readFileSync(path.join(models, 'en/decoder.json')) } },
});
const loadMs = performance.now() - began;
check(`the wasm library loads the model and the English pack as bytes (${loadMs.toFixed(0)} ms)`,
  inkjot.languages.join() === 'en');
check('queryHandwritingRecognizer: en supported, xx not', Boolean(await inkjot.queryHandwritingRecognizer({ languages: ['en'] }))
  && (await inkjot.queryHandwritingRecognizer({ languages: ['xx'] })) === null);
let refused = false;
try {
  await inkjot.createHandwritingRecognizer({ languages: ['xx'] });
} catch (e) {
  refused = e.name === 'NotSupportedError';
}
check('createHandwritingRecognizer refuses an unknown language with NotSupportedError', refused);

const recognizer = await inkjot.createHandwritingRecognizer({ languages: ['en'] });
const times = [];
let same = 0;
let covered = 0;
for (const [i, r] of words.entries()) {
  const drawing = recognizer.startDrawing({ alternatives: 5 });
  for (const s of r.strokes) {
    const stroke = new HandwritingStroke();
    s.x.forEach((x, k) => stroke.addPoint({ x, y: s.y[k], t: s.t[k] }));
    drawing.addStroke(stroke);
  }
  began = performance.now();
  const predictions = await drawing.getPrediction();
  times.push(performance.now() - began);
  const texts = predictions.map((p) => p.text);
  if (JSON.stringify(texts) === JSON.stringify(native[i])) same++;
  else console.log(`      "${r.label}": wasm ${JSON.stringify(texts)}, native ${JSON.stringify(native[i])}`);
  const best = predictions[0];
  const inked = best.segmentationResult.map((g) => g.grapheme).join('');
  const strokesUsed = new Set(best.segmentationResult.flatMap((g) => g.drawingSegments.map((d) => d.strokeIndex)));
  if (inked === best.text.replace(/\s/g, '') && strokesUsed.size > 0
    && best.segmentationResult.every((g) => best.text.slice(g.beginIndex, g.endIndex) === g.grapheme)) covered++;
}
check(`wasm candidates equal the native CLI's on ${same} of ${words.length} UNIPEN valid words`, same === words.length);
check(`segmentation of the best candidate covers its text (${covered} of ${words.length})`, covered === words.length);
// inkjot's own hints: no language model (as `inkjot recognize --no-lm`), and a pack added later.
const noLmRun = spawnSync(bin, ['recognize', '--no-lm', '-'], { encoding: 'utf8', input: `${JSON.stringify(words[0])}\n` });
const noLm = noLmRun.status === 0 ? JSON.parse(noLmRun.stdout.trim().split('\n')[0]).candidates.map((c) => c.text) : [];
const plainDrawing = recognizer.startDrawing({ alternatives: 5, useLm: false });
for (const s of words[0].strokes) {
  const stroke = new HandwritingStroke();
  s.x.forEach((x, k) => stroke.addPoint({ x, y: s.y[k], t: s.t[k] }));
  plainDrawing.addStroke(stroke);
}
const plain = (await plainDrawing.getPrediction()).map((p) => p.text);
check('useLm: false gives the candidates of inkjot recognize --no-lm', noLm.length > 0
  && JSON.stringify(plain) === JSON.stringify(noLm), `wasm ${JSON.stringify(plain)}, native ${JSON.stringify(noLm)} ${noLmRun.stderr || ''}`);
const later = await createInkjot({ wasm: fs.readFileSync(wasm), model: fs.readFileSync(path.join(models, 'recognizer-int8.safetensors')) });
const before = later.languages.length;
await later.addLanguage('en', { lm: fs.readFileSync(path.join(models, 'en/lm.bin')), decoder: fs.readFileSync(path.join(models, 'en/decoder.json')) });
const laterDrawing = (await later.createHandwritingRecognizer({ languages: ['en'] })).startDrawing({ alternatives: 5 });
for (const s of words[0].strokes) {
  const stroke = new HandwritingStroke();
  s.x.forEach((x, k) => stroke.addPoint({ x, y: s.y[k], t: s.t[k] }));
  laterDrawing.addStroke(stroke);
}
const laterTexts = (await laterDrawing.getPrediction()).map((p) => p.text);
check('addLanguage loads a pack after creation (same candidates)', before === 0 && later.languages.join() === 'en'
  && JSON.stringify(laterTexts) === JSON.stringify(native[0]), JSON.stringify(laterTexts));
const empty = await recognizer.startDrawing().getPrediction();
check('an empty drawing predicts nothing', Array.isArray(empty) && empty.length === 0);
times.sort((a, b) => a - b);
console.log(`      wasm latency per word: median ${times[times.length >> 1].toFixed(1)} ms, `
  + `mean ${(times.reduce((a, b) => a + b, 0) / times.length).toFixed(1)} ms (${words.length} words, Node ${process.versions.node})`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
