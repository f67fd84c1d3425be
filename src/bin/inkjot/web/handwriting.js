// inkjot in the browser: the library compiled to WebAssembly (its C ABI, see include/inkjot.h),
// exposed in the shape of the WICG Handwriting Recognition API
// (wicg.github.io/handwriting-recognition). Recognition runs in the page: no server,
// and it keeps working offline once the files are loaded. Example (docs/wasm.md):
//
//   import { createInkjot, installHandwritingApi } from './handwriting.js';
//   const inkjot = await createInkjot({
//     wasm: 'inkjot.wasm', model: 'recognizer-int8.safetensors',
//     languages: { en: { lm: 'en/lm.bin', decoder: 'en/decoder.json' } },
//   });
//   installHandwritingApi(inkjot); // navigator.createHandwritingRecognizer, unless the browser has one
//   const recognizer = await navigator.createHandwritingRecognizer({ languages: ['en'] });
//   const drawing = recognizer.startDrawing({ alternatives: 3, textContext: 'see you ' });
//   const stroke = new HandwritingStroke();
//   stroke.addPoint({ x: 10, y: 20, t: 0 }); // ... one stroke per pen-down
//   drawing.addStroke(stroke);
//   const [best, ...others] = await drawing.getPrediction(); // best.text, best.segmentationResult
//
// Sources (`wasm`, `model`, `lm`, `decoder`) are URLs, or bytes (ArrayBuffer, typed array) already
// loaded; `decoder` may also be the text of decoder.json.

// Sizes and offsets of the C ABI's structs on wasm32 (4-byte size_t and pointers).
const POINT_BYTES = 24; // InkjotPoint: x, y, t as f64
const OPT = { size: 32, nbest: 0, preContext: 4, height: 8, useLm: 16, userWords: 20, segments: 24, singleLine: 25 };
const SEG = { size: 56, text: 0, kind: 4, ranges: 8, rangeCount: 12 };
const RANGE_BYTES = 12; // InkjotPointRange: stroke, first, last (inclusive)
const SEGMENT_CHAR = 0;
const MAX_NBEST = 100;

async function bytesOf(source) {
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  const response = await fetch(source);
  if (!response.ok) throw new Error(`inkjot: cannot load ${source} (HTTP ${response.status})`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The wasm instance, and memory the JavaScript side owns for passing data in. */
class Engine {
  constructor(instance) {
    this.x = instance.exports;
    this.block = 0;
    this.blockBytes = 0;
  }

  /**
   * A block of at least `n` bytes of wasm memory for arguments, reused between calls. It is made of
   * pages grown here: Rust's allocator only hands out pages it grew itself, so it never uses them.
   */
  scratch(n) {
    if (n > this.blockBytes) {
      const pages = Math.ceil(n / 65536);
      this.block = this.x.memory.grow(pages) * 65536;
      this.blockBytes = pages * 65536;
    }
    return this.block;
  }

  view() { return new DataView(this.x.memory.buffer); }
  u8() { return new Uint8Array(this.x.memory.buffer); }

  cstr(p) {
    const u = this.u8();
    let end = p;
    while (u[end]) end++;
    return new TextDecoder().decode(u.subarray(p, end));
  }

  /** Writes `bytes` and a NUL at `p`; returns the next free offset (8-aligned). */
  put(p, bytes) {
    this.u8().set(bytes, p);
    this.u8()[p + bytes.length] = 0;
    return (p + bytes.length + 8) & ~7;
  }

  fail(status) {
    const name = this.cstr(this.x.inkjot_status_name(status));
    return new Error(`inkjot: ${name}: ${this.cstr(this.x.inkjot_last_error_message())}`);
  }
}

/**
 * Loads the wasm library, the model and each language's pack. Returns the recognizer factory:
 * `{ languages, createHandwritingRecognizer, queryHandwritingRecognizer, addLanguage }`;
 * `addLanguage(code, { lm, decoder })` loads one more pack later (the page loads each language
 * when it is first chosen).
 */
export async function createInkjot({ wasm, model, languages = {} }) {
  const wasmBytes = await bytesOf(wasm);
  const { instance } = await WebAssembly.instantiate(wasmBytes, {});
  const engine = new Engine(instance);
  const modelBytes = await bytesOf(model);
  const recognizers = new Map();
  const enc = new TextEncoder();
  const addLanguage = async (code, pack) => {
    const lm = await bytesOf(pack.lm);
    const decoder = typeof pack.decoder === 'string' && pack.decoder.trimStart().startsWith('{')
      ? enc.encode(pack.decoder) : pack.decoder ? await bytesOf(pack.decoder) : null;
    const need = modelBytes.length + lm.length + (decoder ? decoder.length : 0) + 64;
    const base = engine.scratch(need);
    const out = base;
    const m = base + 8;
    const l = engine.put(m, modelBytes);
    const d = engine.put(l, lm);
    if (decoder) engine.put(d, decoder);
    const status = engine.x.inkjot_recognizer_new_from_memory(m, modelBytes.length, l, lm.length,
      decoder ? d : 0, out);
    if (status !== 0) throw engine.fail(status);
    const old = recognizers.get(code);
    recognizers.set(code, engine.view().getUint32(out, true));
    if (old) engine.x.inkjot_recognizer_free(old);
  };
  for (const [code, pack] of Object.entries(languages)) await addLanguage(code, pack);
  const supported = (constraint) => {
    const wanted = (constraint && constraint.languages) || [];
    return wanted.length > 0 && wanted.every((code) => recognizers.has(code)) ? wanted[0] : null;
  };
  return {
    get languages() { return [...recognizers.keys()]; },
    addLanguage,
    async queryHandwritingRecognizer(constraint) {
      if (!supported(constraint)) return null;
      return {
        textAlternatives: true,
        textSegmentation: true,
        hints: {
          alternatives: true, textContext: true, recognitionType: { text: true },
          inputType: { mouse: true, stylus: true, touch: true },
        },
      };
    },
    async createHandwritingRecognizer(constraint) {
      const code = supported(constraint);
      if (!code) {
        throw new DOMException(`inkjot has no recognizer for ${JSON.stringify(constraint && constraint.languages)}`,
          'NotSupportedError');
      }
      return new HandwritingRecognizer(engine, recognizers.get(code));
    },
  };
}

/** A recognizer for one language; `startDrawing` begins an ink. */
class HandwritingRecognizer {
  constructor(engine, handle) {
    this.engine = engine;
    this.handle = handle;
    this.finished = false;
  }

  startDrawing(hints = {}) {
    if (this.finished) throw new DOMException('the recognizer is finished', 'InvalidStateError');
    return new HandwritingDrawing(this, hints);
  }

  /** Ends this recognizer's use; the shared model stays loaded for others. */
  finish() { this.finished = true; }
}

/** One ink: strokes in writing order, recognized by `getPrediction`. */
class HandwritingDrawing {
  constructor(recognizer, hints) {
    this.recognizer = recognizer;
    this.hints = hints;
    this.strokes = [];
  }

  addStroke(stroke) { this.strokes.push(stroke); }

  removeStroke(stroke) {
    const i = this.strokes.indexOf(stroke);
    if (i >= 0) this.strokes.splice(i, 1);
  }

  getStrokes() { return [...this.strokes]; }

  clear() { this.strokes = []; }

  /**
   * The candidates, best first: `{ text, segmentationResult }`, where each segment is a grapheme
   * with the points that wrote it (`drawingSegments`: stroke index, first point, end point
   * exclusive). An empty drawing gives an empty list.
   */
  async getPrediction() {
    const { engine } = this.recognizer;
    if (this.recognizer.finished) throw new DOMException('the recognizer is finished', 'InvalidStateError');
    const strokes = this.strokes.map((s) => s.getPoints()).filter((p) => p.length > 0);
    if (!strokes.length) return [];
    const x = engine.x;
    const enc = new TextEncoder();
    const context = enc.encode(String(this.hints.textContext || ''));
    const words = enc.encode(String(this.hints.userWords || ''));
    const points = strokes.reduce((n, s) => n + s.length, 0);
    const base = engine.scratch(64 + OPT.size + context.length + 8 + words.length + 8
      + 4 * strokes.length + 8 + POINT_BYTES * points);
    const out = base;
    const opts = base + 8;
    const ctx = opts + OPT.size;
    const userWords = engine.put(ctx, context);
    const lens = engine.put(userWords, words);
    const pts = (lens + 4 * strokes.length + 8) & ~7;
    const dv = engine.view();
    engine.u8().fill(0, opts, opts + OPT.size); // every field, padding and `single_line` included
    // `alternatives`: the most predictions wanted, best included (1 to 100; default 5).
    const wanted = Math.floor(Number(this.hints.alternatives ?? 5));
    dv.setUint32(opts + OPT.nbest, Math.max(1, Math.min(MAX_NBEST, Number.isFinite(wanted) ? wanted : 5)), true);
    dv.setUint32(opts + OPT.preContext, ctx, true);
    dv.setFloat64(opts + OPT.height, 0, true);
    // inkjot's own hints: `useLm` (default true) and `userWords` (words to favour, one a line).
    dv.setUint8(opts + OPT.useLm, this.hints.useLm === false ? 0 : 1);
    dv.setUint32(opts + OPT.userWords, words.length ? userWords : 0, true);
    dv.setUint8(opts + OPT.segments, 1);
    dv.setUint8(opts + OPT.singleLine, 0); // split the ink into lines, as the server does
    let k = 0;
    strokes.forEach((s, i) => {
      dv.setUint32(lens + 4 * i, s.length, true);
      const t0 = s[0].t;
      for (const p of s) {
        dv.setFloat64(pts + POINT_BYTES * k, p.x, true);
        dv.setFloat64(pts + POINT_BYTES * k + 8, p.y, true);
        dv.setFloat64(pts + POINT_BYTES * k + 16, p.t ?? t0, true);
        k++;
      }
    });
    const status = x.inkjot_recognize(this.recognizer.handle, pts, lens, strokes.length, opts, out);
    if (status !== 0) throw engine.fail(status);
    const results = engine.view().getUint32(out, true);
    try {
      const predictions = [];
      for (let i = 0; i < x.inkjot_results_count(results); i++) {
        predictions.push({
          text: engine.cstr(x.inkjot_results_text(results, i)),
          score: x.inkjot_results_score(results, i),
          segmentationResult: segments(engine, results, i, base),
        });
      }
      return predictions;
    } finally {
      x.inkjot_results_free(results);
    }
  }
}

/** Graphemes of candidate `i` with the points that wrote them (characters without ink left out). */
function segments(engine, results, i, seg) {
  const x = engine.x;
  const list = [];
  let offset = 0;
  for (let j = 0; j < x.inkjot_results_segment_count(results, i); j++) {
    if (x.inkjot_results_segment(results, i, j, seg) !== 0) break;
    const dv = engine.view();
    if (dv.getInt32(seg + SEG.kind, true) !== SEGMENT_CHAR) break; // the words follow the characters
    const grapheme = engine.cstr(dv.getUint32(seg + SEG.text, true));
    const ranges = dv.getUint32(seg + SEG.ranges, true);
    const drawingSegments = [];
    for (let r = 0; r < dv.getUint32(seg + SEG.rangeCount, true); r++) {
      const p = ranges + RANGE_BYTES * r;
      drawingSegments.push({
        strokeIndex: dv.getUint32(p, true),
        beginPointIndex: dv.getUint32(p + 4, true),
        endPointIndex: dv.getUint32(p + 8, true) + 1,
      });
    }
    if (drawingSegments.length) {
      list.push({ grapheme, beginIndex: offset, endIndex: offset + grapheme.length, drawingSegments });
    }
    offset += grapheme.length;
  }
  return list;
}

/** A stroke: points `{x, y, t}` (t in ms) from pen down to pen up. */
export class HandwritingStroke {
  #points = [];

  addPoint(point) { this.#points.push({ x: Number(point.x), y: Number(point.y), t: point.t === undefined ? undefined : Number(point.t) }); }

  getPoints() { return this.#points.map((p) => ({ ...p })); }

  clear() { this.#points = []; }
}

/**
 * Exposes `inkjot` as `navigator.createHandwritingRecognizer`, `navigator.queryHandwritingRecognizer`
 * and `HandwritingStroke`, unless the browser has its own (or `force`).
 */
export function installHandwritingApi(inkjot, { force = false } = {}) {
  const nav = globalThis.navigator;
  if (!nav) return false;
  if (nav.createHandwritingRecognizer && !force) return false;
  Object.defineProperty(nav, 'createHandwritingRecognizer',
    { value: (c) => inkjot.createHandwritingRecognizer(c), configurable: true, writable: true });
  Object.defineProperty(nav, 'queryHandwritingRecognizer',
    { value: (c) => inkjot.queryHandwritingRecognizer(c), configurable: true, writable: true });
  if (force || !globalThis.HandwritingStroke) globalThis.HandwritingStroke = HandwritingStroke;
  return true;
}
