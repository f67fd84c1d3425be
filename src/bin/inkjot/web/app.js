// inkjot demo page: pointer input on a canvas, recognition after every stroke, replay of recorded
// inks and download of what was written, in inkjot's JSON Lines ink format:
// {"id": .., "label": .., "strokes": [{"x": [..], "y": [..], "t": [..]}]}
// Coordinates are CSS pixels from the canvas's top left (y down); t is milliseconds from the ink's
// first point.
//
// Recognition runs in the browser when the server offers the wasm library (/api/info `wasm`):
// handwriting.js loads it with the model and the chosen language's pack, and from then on the page
// needs no server to recognize (it keeps working if the server stops; its service worker, sw.js,
// keeps the files so that it also loads with the server stopped). Otherwise, while it loads,
// if it fails to load, for a language not loaded yet, or with `?engine=server` in the address, the
// page asks the server (POST api/recognize). The status line says which one answered.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const pad = $('pad');
  const ctx = pad.getContext('2d');
  const NAMES = {
    de: 'Deutsch', en: 'English', es: 'Español', fr: 'Français', it: 'Italiano',
    pl: 'Polski', pt: 'Português',
  };
  const MAX_GAP_MS = 1000; // longest pause kept when replaying
  const MAX_FILE_BYTES = 64 << 20;
  const MAX_RECORDS = 5000;

  const state = {
    strokes: [], // [{x: [], y: [], t: []}]
    current: null, // the stroke being drawn
    pointerId: null,
    t0: null, // event time of the ink's first point
    inkId: null,
    seq: 0, // last request sent
    shown: 0, // request whose answer is shown
    kept: [],
    records: [], // from the opened file
    retry: null, // what the Retry button runs again
    replay: null, // {frame} while replaying
    sheet: { w: 0, h: 0 }, // size of the writing sheet, CSS px
    follow: null, // timer that scrolls the sheet once the writer pauses
    // The in-browser recognizer: `status` is off | loading | ready | failed; `inkjot` the loaded
    // library; `packs` code -> loading promise or true once loaded; `urls` from /api/info.
    local: { status: 'off', inkjot: null, packs: new Map(), urls: null, why: '' },
    // The ink of a character or word of a candidate shown highlighted on the canvas: `sent` the
    // strokes as sent for the answer shown (segments index them), `strong` the point ranges
    // [stroke, first, last] of the character or word pointed at, `soft` those of its word.
    answered: [],
    highlight: null,
  };

  // ---- the writing sheet ---------------------------------------------------------------------
  // Ink coordinates are CSS pixels on the sheet, from its top left. The sheet grows as the writer
  // nears its right or bottom edge; the canvas is the size of the visible part (it stays in view,
  // CSS sticky) and draws the sheet translated by the scroll offset.

  const scroller = $('pad-scroll');
  const sheet = $('pad-sheet');
  const FOLLOW_NOW = 0.8; // a stroke ending past this part of the view's width scrolls it at once;
  const FOLLOW_SOON = 0.6; // past this part, once the pen has rested FOLLOW_PAUSE_MS
  const FOLLOW_PAUSE_MS = 400;
  const MAX_SHEET = 30000; // largest sheet side, CSS px

  /** Distance between ruled lines (CSS `--line-pitch`), in CSS px. */
  function pitch() {
    const v = parseFloat(getComputedStyle(document.documentElement).getPropertyValue('--line-pitch'));
    return Number.isFinite(v) && v > 8 ? v : 80;
  }
  /** Baseline of ruled line `k` (0 = first). The midline is 0.32 pitch above it. */
  const baseline = (k) => pitch() * (k + 0.72);

  function setSheet(w, h) {
    state.sheet.w = Math.min(MAX_SHEET, Math.ceil(Math.max(w, scroller.clientWidth)));
    state.sheet.h = Math.min(MAX_SHEET, Math.ceil(Math.max(h, scroller.clientHeight)));
    sheet.style.width = `${state.sheet.w}px`;
    sheet.style.height = `${state.sheet.h}px`;
  }

  /** Grows the sheet so that (x, y) has room around it: half a view to the right, two lines below. */
  function roomFor(x, y) {
    const p = pitch();
    let { w, h } = state.sheet;
    if (x > w - 1.5 * p) w = x + Math.max(scroller.clientWidth / 2, 4 * p);
    if (y > h - 0.6 * p) h = y + 2 * p;
    if (w !== state.sheet.w || h !== state.sheet.h) setSheet(w, h);
  }

  /**
   * Makes room after a stroke: when it ends near the right edge of the view (or near its bottom),
   * scrolls on at once; when it ends past the middle, scrolls once the pen has rested a moment, so
   * that a writer who pauses between words has room ahead. The sheet grows to allow it.
   */
  function scheduleFollow() {
    cancelFollow();
    const s = state.strokes[state.strokes.length - 1];
    if (!s || !s.x.length) return;
    const x = s.x[s.x.length - 1];
    const y = Math.max(...s.y);
    const view = { w: scroller.clientWidth, h: scroller.clientHeight };
    const low = () => y > scroller.scrollTop + view.h - 0.3 * pitch();
    const follow = () => {
      cancelFollow();
      let left = scroller.scrollLeft;
      let top = scroller.scrollTop;
      if (x > left + FOLLOW_SOON * view.w) left = x - 0.3 * view.w;
      if (low()) top = y - view.h + 1.3 * pitch();
      roomFor(left + view.w, top + view.h);
      scroller.scrollTo({ left, top, behavior: 'instant' });
    };
    if (x > scroller.scrollLeft + FOLLOW_NOW * view.w || low()) {
      follow();
    } else if (x > scroller.scrollLeft + FOLLOW_SOON * view.w) {
      state.follow = setTimeout(follow, FOLLOW_PAUSE_MS);
      document.body.dataset.follow = 'pending';
    }
  }

  function cancelFollow() {
    clearTimeout(state.follow);
    state.follow = null;
    delete document.body.dataset.follow;
  }

  /** Scrolls to the start of the first ruled line below all ink. */
  function newLine() {
    let bottom = -Infinity;
    for (const s of state.strokes) for (const y of s.y) bottom = Math.max(bottom, y);
    const p = pitch();
    let k = 0;
    while (bottom > -Infinity && baseline(k) - 0.75 * p < bottom + 0.15 * p) k++;
    const top = Math.max(0, baseline(k) - 0.75 * p - 4);
    roomFor(0, top + scroller.clientHeight);
    scroller.scrollTo({ left: 0, top, behavior: 'instant' });
  }

  // ---- drawing -------------------------------------------------------------------------------

  function resize() {
    const w = scroller.clientWidth;
    const h = scroller.clientHeight;
    const dpr = window.devicePixelRatio || 1;
    pad.style.width = `${w}px`;
    pad.style.height = `${h}px`;
    pad.width = Math.max(1, Math.round(w * dpr));
    pad.height = Math.max(1, Math.round(h * dpr));
    setSheet(state.sheet.w, state.sheet.h);
    redraw();
  }

  /** The canvas transform: device pixels, then the sheet scrolled into view. */
  function toSheet() {
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, -scroller.scrollLeft * dpr, -scroller.scrollTop * dpr);
  }

  function guides() {
    const p = pitch();
    const left = scroller.scrollLeft;
    const right = left + scroller.clientWidth;
    const top = scroller.scrollTop;
    const bottom = top + scroller.clientHeight;
    ctx.save();
    ctx.strokeStyle = getComputedStyle(document.documentElement).getPropertyValue('--guide').trim() || '#7d8797';
    ctx.lineWidth = 1;
    for (let k = Math.max(0, Math.floor(top / p) - 1); baseline(k) - 0.32 * p <= bottom; k++) {
      const y = Math.round(baseline(k)) + 0.5;
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(right, y);
      ctx.stroke();
      const mid = Math.round(baseline(k) - 0.32 * p) + 0.5;
      ctx.setLineDash([4, 8]);
      ctx.lineDashOffset = left % 12;
      ctx.beginPath();
      ctx.moveTo(left, mid);
      ctx.lineTo(right, mid);
      ctx.stroke();
    }
    ctx.restore();
  }

  function penStyle() {
    ctx.strokeStyle = '#1b2a4a';
    ctx.fillStyle = '#1b2a4a';
    ctx.lineWidth = 3;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
  }

  function redraw() {
    toSheet();
    ctx.clearRect(scroller.scrollLeft, scroller.scrollTop, scroller.clientWidth, scroller.clientHeight);
    guides();
    penStyle();
    for (const s of state.strokes) {
      if (!s.x.length) continue;
      ctx.beginPath();
      ctx.moveTo(s.x[0], s.y[0]);
      for (let i = 1; i < s.x.length; i++) ctx.lineTo(s.x[i], s.y[i]);
      if (s.x.length === 1) ctx.lineTo(s.x[0] + 0.1, s.y[0]);
      ctx.stroke();
    }
    drawHighlight();
    $('hint').classList.toggle('hidden', state.strokes.length > 0);
  }

  /** Draws the highlighted ink over the pen's: the word lightly, the character (or word) fully. */
  function drawHighlight() {
    const h = state.highlight;
    if (!h) return;
    const colour = getComputedStyle(document.documentElement).getPropertyValue('--highlight').trim() || '#c2410c';
    const trace = (ranges, alpha, width) => {
      ctx.save();
      ctx.globalAlpha = alpha;
      ctx.strokeStyle = colour;
      ctx.lineWidth = width;
      ctx.lineCap = 'round';
      ctx.lineJoin = 'round';
      for (const [si, first, last] of ranges) {
        const s = h.sent[si];
        // Strokes undone since the answer are not drawn.
        if (!s || !state.strokes.includes(s) || first >= s.x.length) continue;
        ctx.beginPath();
        ctx.moveTo(s.x[first], s.y[first]);
        for (let i = first + 1; i <= Math.min(last, s.x.length - 1); i++) ctx.lineTo(s.x[i], s.y[i]);
        if (first === Math.min(last, s.x.length - 1)) ctx.lineTo(s.x[first] + 0.1, s.y[first]);
        ctx.stroke();
      }
      ctx.restore();
    };
    trace(h.soft, 0.35, 7);
    trace(h.strong, 1, 5);
  }

  /**
   * Highlights `strong` (point ranges of the character or word pointed at) and `soft` (its word)
   * on the canvas, or nothing when `strong` is null. The ranges shown are on the canvas's
   * `data-highlight` (JSON), for tests.
   */
  function highlight(strong, soft = []) {
    state.highlight = strong ? { sent: state.answered, strong, soft } : null;
    if (strong) pad.dataset.highlight = JSON.stringify(strong);
    else delete pad.dataset.highlight;
    redraw();
  }

  function segment(s) {
    const n = s.x.length;
    toSheet();
    penStyle();
    ctx.beginPath();
    if (n === 1) {
      ctx.moveTo(s.x[0], s.y[0]);
      ctx.lineTo(s.x[0] + 0.1, s.y[0]);
    } else {
      ctx.moveTo(s.x[n - 2], s.y[n - 2]);
      ctx.lineTo(s.x[n - 1], s.y[n - 1]);
    }
    ctx.stroke();
  }

  // ---- the ink -------------------------------------------------------------------------------

  const round = (v, digits) => Math.round(v * 10 ** digits) / 10 ** digits;

  function lastTime() {
    for (let i = state.strokes.length - 1; i >= 0; i--) {
      const t = state.strokes[i].t;
      if (t.length) return t[t.length - 1];
    }
    return 0;
  }

  function beginStroke() {
    if (!state.strokes.length) state.inkId = newId();
    state.current = { x: [], y: [], t: [] };
    state.strokes.push(state.current);
    $('hint').classList.add('hidden');
  }

  /**
   * Adds a point to the current stroke: x, y in CSS pixels, t in ms of ink time. Pointer input
   * skips a point that repeats the previous position (`dedupe`); replayed inks keep every point.
   */
  function pushPoint(x, y, t, dedupe) {
    const s = state.current;
    const n = s.x.length;
    t = Math.max(t, lastTime());
    if (dedupe && n && s.x[n - 1] === x && s.y[n - 1] === y) return;
    s.x.push(x);
    s.y.push(y);
    s.t.push(t);
    roomFor(x, y);
    segment(s);
  }

  function addEventPoint(ev) {
    const rect = sheet.getBoundingClientRect();
    if (state.t0 === null) state.t0 = ev.timeStamp;
    pushPoint(round(ev.clientX - rect.left, 2), round(ev.clientY - rect.top, 2),
      round(ev.timeStamp - state.t0, 1), true);
  }

  function endStroke() {
    state.current = null;
    scheduleFollow();
    recognize();
  }

  function clearInk() {
    state.strokes = [];
    state.current = null;
    state.pointerId = null;
    state.t0 = null;
    cancelFollow();
    setSheet(0, 0);
    scroller.scrollTo({ left: 0, top: 0, behavior: 'instant' });
    redraw();
    recognize();
  }

  /**
   * Starts a new ink: the label goes with the ink it describes, so it is emptied too (or set to
   * `label`). Says in the label's note what happened to a label that was there.
   */
  function newInk(label = '', why = 'cleared') {
    const old = $('label').value.trim();
    $('label').value = label;
    clearInk();
    if (old && old !== label) labelNote(`Label “${old}” ${why} with its ink.`);
    else labelNote('');
  }

  function labelNote(text) {
    $('label-note').textContent = text;
  }

  function undo() {
    if (state.current || !state.strokes.length) return;
    stopReplay();
    state.strokes.pop();
    if (!state.strokes.length) state.t0 = null;
    redraw();
    recognize();
  }

  function newId() {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    return `inkjot-${stamp}`;
  }

  // ---- pointer input -------------------------------------------------------------------------

  pad.addEventListener('pointerdown', (e) => {
    if (state.pointerId !== null) return; // one pointer at a time
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    stopReplay();
    cancelFollow();
    pad.setPointerCapture(e.pointerId);
    state.pointerId = e.pointerId;
    beginStroke();
    addEventPoint(e);
  });

  pad.addEventListener('pointermove', (e) => {
    if (e.pointerId !== state.pointerId || !state.current) return;
    e.preventDefault();
    const coalesced = e.getCoalescedEvents ? e.getCoalescedEvents() : [];
    for (const ev of coalesced.length ? coalesced : [e]) addEventPoint(ev);
  });

  const finishPointer = (e) => {
    if (e.pointerId !== state.pointerId) return;
    state.pointerId = null;
    if (!state.current) return;
    addEventPoint(e);
    endStroke();
  };
  pad.addEventListener('pointerup', finishPointer);
  pad.addEventListener('pointercancel', finishPointer);
  pad.addEventListener('contextmenu', (e) => e.preventDefault());

  // ---- recognition ---------------------------------------------------------------------------

  /** Shows `text` in the status line (a live region); `retry`, when given, is offered as Retry. */
  function setStatus(text, error = false, retry = null) {
    const el = $('status');
    el.textContent = text;
    el.classList.toggle('error', error);
    state.retry = retry;
    $('retry').hidden = !retry;
  }

  /**
   * What went wrong talking to the server, in words a writer can act on. `fetch` rejects with a
   * bare "Failed to fetch" when the server is gone; the page says so and how to start it again.
   */
  function failure(what, err) {
    if (err instanceof TypeError) {
      return `${what}: cannot reach the inkjot server at ${location.host}. It may have stopped: `
        + 'start it again (inkjot serve) and press Retry.';
    }
    return `${what}: ${err.message}`;
  }

  /** Error of a non-OK answer: the server's message (JSON `error`) when it gave one. */
  async function httpError(response) {
    let message = '';
    try {
      message = (await response.json()).error || '';
    } catch {
      // not JSON: the status says enough
    }
    const busy = response.status === 503 ? ' (the server is busy; Retry in a moment)' : '';
    const err = new Error(`${message || response.statusText || 'error'} (HTTP ${response.status})${busy}`);
    err.status = response.status;
    return err;
  }

  /**
   * The characters of candidate `c` with the ink that wrote each: `[{ch, ranges}]` in order,
   * `ranges` the point ranges [stroke, first, last (inclusive)] (empty for whitespace and for a
   * character without ink). From the server's `segments` (`char` ones, in order) or the
   * Handwriting API's `segmentationResult` (graphemes at UTF-16 offsets, inkless ones left out).
   */
  function inkedChars(c) {
    const at = new Map(); // UTF-16 offset in c.text -> ranges
    if (Array.isArray(c.segments)) {
      let offset = 0;
      for (const seg of c.segments) {
        if (seg.kind !== 'char') continue;
        at.set(offset, seg.strokes);
        offset += seg.text.length;
      }
    } else if (Array.isArray(c.segmentationResult)) {
      for (const g of c.segmentationResult) {
        at.set(g.beginIndex, g.drawingSegments.map((d) => [d.strokeIndex, d.beginPointIndex, d.endPointIndex - 1]));
      }
    }
    const chars = [];
    let offset = 0;
    for (const ch of c.text) {
      chars.push({ ch, ranges: at.get(offset) || [] });
      offset += ch.length;
    }
    return chars;
  }

  /**
   * A candidate's text: one span per word (`.word`) holding one per character (`.char`); whitespace
   * stays plain text. Pointing at a character highlights its ink (and its word's, lighter). The text
   * is one focusable group named by the whole candidate (the spans are hidden from screen
   * readers, which read the text as a whole); with the focus on it, Left and Right move over the
   * characters, Ctrl (or Alt) with them over the words, highlighting their ink.
   */
  function candidateText(c) {
    const text = document.createElement('span');
    text.className = 'text';
    text.tabIndex = 0;
    text.setAttribute('role', 'group');
    text.setAttribute('aria-label', c.text);
    text.setAttribute('aria-describedby', 'ink-help');
    const items = []; // {el, word, ranges}
    let word = null;
    let wordRanges = null;
    for (const { ch, ranges } of inkedChars(c)) {
      if (/\s/u.test(ch)) {
        word = null;
        text.append(ch);
        continue;
      }
      if (!word) {
        word = document.createElement('span');
        word.className = 'word';
        word.setAttribute('aria-hidden', 'true');
        wordRanges = [];
        word.ranges = wordRanges;
        text.append(word);
      }
      const el = document.createElement('span');
      el.className = 'char';
      el.textContent = ch;
      wordRanges.push(...ranges);
      const item = { el, word, ranges };
      items.push(item);
      word.append(el);
      el.addEventListener('pointerenter', () => point(item, false));
      el.addEventListener('pointerleave', () => point(null));
    }
    // Keyboard: a cursor over the characters (`byWord` marks the whole word).
    let at = 0;
    let byWord = false;
    const show = () => { if (items.length) point(items[at], byWord); };
    text.addEventListener('focus', show);
    text.addEventListener('blur', () => point(null));
    text.addEventListener('keydown', (e) => {
      if (!items.length) return;
      const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (e.key === 'Home' || e.key === 'End') {
        at = e.key === 'Home' ? 0 : items.length - 1;
        byWord = false;
      } else if (step && (e.ctrlKey || e.altKey)) {
        // The first character of the next (previous) word.
        let i = at;
        const from = items[at].word;
        while (i + step >= 0 && i + step < items.length && items[i + step].word === from) i += step;
        if (i + step >= 0 && i + step < items.length) i += step;
        while (i > 0 && items[i - 1].word === items[i].word) i--;
        at = i;
        byWord = true;
      } else if (step) {
        at = Math.max(0, Math.min(items.length - 1, at + step));
        byWord = false;
      } else {
        return;
      }
      e.preventDefault();
      show();
    });
    return text;
  }

  /** Highlights the ink of `item` (a character of a candidate; its word when `byWord`), or none. */
  function point(item, byWord) {
    for (const el of document.querySelectorAll('#candidates .on, #candidates .near')) el.classList.remove('on', 'near');
    if (!item) {
      highlight(null);
      return;
    }
    (byWord ? item.word : item.el).classList.add('on');
    if (!byWord) item.word.classList.add('near');
    highlight(byWord ? item.word.ranges : item.ranges, byWord ? [] : item.word.ranges);
  }

  /** Shows `candidates`, recognized from `sent` (the strokes as sent, which segments index). */
  function showCandidates(candidates, sent) {
    const list = $('candidates');
    state.answered = sent;
    list.replaceChildren();
    for (const c of candidates) {
      const li = document.createElement('li');
      const row = document.createElement('div');
      row.className = 'row';
      const text = candidateText(c);
      const box = document.createElement('span');
      box.className = 'barbox';
      const bar = document.createElement('div');
      bar.className = 'bar';
      const p = Math.exp(c.score);
      bar.style.width = `${Math.max(1, Math.min(100, p * 100)).toFixed(1)}%`;
      box.append(bar);
      const score = document.createElement('span');
      score.className = 'score';
      score.textContent = `${c.score.toFixed(3)}  (${(p * 100).toFixed(1)}%)`;
      row.append(text, box, score);
      li.append(row);
      list.append(li);
    }
    $('top').textContent = candidates.length ? candidates[0].text : '';
    $('results').dataset.strokes = String(sent.length);
    if (state.highlight) highlight(null);
  }

  /** Marks the answer shown (request `seq`, from `engine`: `browser` or `server`), for tests. */
  function answeredBy(engine, seq) {
    $('results').dataset.engine = engine;
    $('results').dataset.answer = String(seq);
  }

  /** The in-browser recognizer for the chosen language, or null (not loaded, not offered). */
  function localRecognizer() {
    const local = state.local;
    if (local.status !== 'ready') return null;
    const lang = $('lang').value;
    if (local.packs.get(lang) === true) return lang;
    loadLocalPack(lang);
    return null;
  }

  /** Recognizes `strokes` in the browser: `{candidates, ms}`. */
  async function recognizeLocally(lang, strokes) {
    const recognizer = await state.local.inkjot.createHandwritingRecognizer({ languages: [lang] });
    const drawing = recognizer.startDrawing({
      alternatives: 5,
      textContext: $('context').value,
      userWords: $('user-words').value,
      useLm: $('use-lm').checked,
    });
    for (const s of strokes) {
      const stroke = new state.local.HandwritingStroke();
      s.x.forEach((x, i) => stroke.addPoint({ x, y: s.y[i], t: s.t[i] }));
      drawing.addStroke(stroke);
    }
    const began = performance.now();
    const predictions = await drawing.getPrediction();
    return {
      candidates: predictions.map((p) => ({ text: p.text, score: p.score, segmentationResult: p.segmentationResult })),
      ms: performance.now() - began,
    };
  }

  async function recognize() {
    const seq = ++state.seq;
    const strokes = state.strokes.filter((s) => s.x.length > 0);
    if (!strokes.length) {
      state.shown = seq;
      showCandidates([], []);
      setStatus('Ready.');
      return;
    }
    const lang = localRecognizer();
    if (lang) {
      try {
        const { candidates, ms } = await recognizeLocally(lang, strokes);
        if (seq < state.shown) return;
        state.shown = seq;
        const points = strokes.reduce((n, s) => n + s.x.length, 0);
        showCandidates(candidates, strokes);
        answeredBy('browser', seq);
        setStatus(`${strokes.length} stroke${strokes.length === 1 ? '' : 's'}, ${points} points: `
          + `recognized in this browser in ${ms.toFixed(1)} ms`);
        return;
      } catch (err) {
        // An ink the library refuses, or a broken instance: the server may still answer.
        console.warn(`inkjot: in-browser recognition failed, asking the server: ${err.message}`);
      }
    }
    const body = JSON.stringify({
      strokes,
      lang: $('lang').value || undefined,
      use_lm: $('use-lm').checked,
      pre_context: $('context').value,
      user_words: $('user-words').value,
      nbest: 5,
      segments: true,
    });
    const began = performance.now();
    try {
      const response = await fetch('api/recognize', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body,
      });
      if (!response.ok) throw await httpError(response);
      const data = await response.json();
      if (seq < state.shown) return; // a newer answer is already shown
      state.shown = seq;
      const roundTrip = performance.now() - began;
      showCandidates(data.candidates, strokes);
      answeredBy('server', seq);
      setStatus(`${data.strokes} stroke${data.strokes === 1 ? '' : 's'}, ${data.points} points, `
        + `${data.curves} curves: recognized by the server in ${data.latency_ms.toFixed(2)} ms `
        + `(${roundTrip.toFixed(0)} ms round trip)`);
    } catch (err) {
      if (seq < state.shown) return;
      state.shown = seq;
      // A rejected ink (4xx) fails the same way again; anything else may pass on a retry.
      const again = !(err.status >= 400 && err.status < 500);
      setStatus(failure('Recognition failed', err), true, again ? recognize : null);
    }
  }

  // ---- the in-browser recognizer -------------------------------------------------------------

  /** Says in the footer which engine recognizes, and marks it on the body for tests. */
  function showEngine() {
    const local = state.local;
    document.body.dataset.local = local.status;
    const words = {
      off: `recognized by the server${local.why ? ` (in this browser: ${local.why})` : ''}`,
      loading: 'loading the in-browser recognizer…',
      ready: 'recognized in this browser (works offline now)',
      failed: `recognized by the server (the in-browser recognizer failed to load: ${local.why})`,
    };
    $('engine').textContent = words[local.status] || '';
  }

  /** Loads the pack of `lang` into the in-browser recognizer once; recognizes again when done. */
  function loadLocalPack(lang) {
    const local = state.local;
    const urls = local.urls && local.urls.languages && local.urls.languages[lang];
    if (!local.inkjot || !urls || local.packs.has(lang)) return local.packs.get(lang);
    const loading = local.inkjot.addLanguage(lang, urls).then(() => {
      local.packs.set(lang, true);
      if ($('lang').value === lang) recognize();
    }, (err) => {
      // Left to the server; a later choice of the language tries again.
      local.packs.delete(lang);
      console.warn(`inkjot: cannot load the ${lang} pack in the browser: ${err.message}`);
    });
    local.packs.set(lang, loading);
    return loading;
  }

  /** Loads handwriting.js, the wasm library, the model and the chosen language's pack. */
  async function loadLocal(wasm) {
    const local = state.local;
    if (local.tried) return; // once per page (loadInfo may run again on Retry)
    local.tried = true;
    if (new URLSearchParams(location.search).get('engine') === 'server') {
      local.why = 'off (engine=server in the address)';
      showEngine();
      return;
    }
    if (!wasm || !wasm.available) {
      local.why = (wasm && wasm.reason) || 'not offered by this server';
      showEngine();
      return;
    }
    local.status = 'loading';
    local.urls = wasm;
    showEngine();
    try {
      const api = await import(`./${wasm.module}`);
      const lang = $('lang').value;
      const first = wasm.languages[lang] ? { [lang]: wasm.languages[lang] } : {};
      local.inkjot = await api.createInkjot({ wasm: wasm.wasm, model: wasm.model, languages: first });
      local.HandwritingStroke = api.HandwritingStroke;
      for (const code of Object.keys(first)) local.packs.set(code, true);
      local.status = 'ready';
    } catch (err) {
      local.status = 'failed';
      local.why = err.message || String(err);
    }
    showEngine();
    if (local.status === 'ready') recognize();
  }

  /**
   * Registers the service worker (sw.js): it keeps the page, the wasm library, the model and the
   * packs loaded, so that the page loads and recognizes in the browser with the server stopped.
   * Marks `data-sw` on the body (registered, or failed) for tests.
   */
  function keepOffline() {
    if (!('serviceWorker' in navigator)) return;
    navigator.serviceWorker.register('sw.js').then(() => {
      document.body.dataset.sw = 'registered';
    }, (err) => {
      document.body.dataset.sw = 'failed';
      console.warn(`inkjot: no service worker, the page needs the server to load: ${err.message}`);
    });
  }

  // ---- replay of recorded inks ---------------------------------------------------------------

  function parseRecords(text) {
    const records = [];
    let bad = 0;
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      if (records.length >= MAX_RECORDS) break;
      try {
        const r = JSON.parse(line);
        const ok = r && Array.isArray(r.strokes) && r.strokes.length > 0
          && r.strokes.every((s) => Array.isArray(s.x) && Array.isArray(s.y)
            && s.x.length > 0 && s.x.length === s.y.length
            && (s.t === undefined || (Array.isArray(s.t) && s.t.length === s.x.length)));
        if (ok) records.push(r); else bad++;
      } catch {
        bad++;
      }
    }
    return { records, bad };
  }

  $('replay-file').addEventListener('change', async (e) => {
    const file = e.target.files && e.target.files[0];
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      setStatus(`${file.name} is larger than ${MAX_FILE_BYTES >> 20} MB`, true);
      return;
    }
    const { records, bad } = parseRecords(await file.text());
    state.records = records;
    const select = $('replay-select');
    select.replaceChildren();
    records.forEach((r, i) => {
      const option = document.createElement('option');
      option.value = String(i);
      const name = r.label !== undefined ? `“${r.label}”` : String(r.id ?? '');
      option.textContent = `${i + 1}. ${name}`.slice(0, 60);
      select.append(option);
    });
    select.disabled = records.length === 0;
    $('replay').disabled = records.length === 0;
    setStatus(`${file.name}: ${records.length} ink${records.length === 1 ? '' : 's'}`
      + (bad ? `, ${bad} unreadable line${bad === 1 ? '' : 's'} skipped` : ''), records.length === 0);
    e.target.value = '';
  });

  $('replay').addEventListener('click', () => {
    const record = state.records[Number($('replay-select').value)];
    if (record) replay(record, Number($('replay-speed').value) || 1);
  });

  function stopReplay() {
    if (state.replay) {
      cancelAnimationFrame(state.replay.frame);
      state.replay = null;
      document.body.dataset.replay = 'stopped';
      replayEnded();
    }
  }

  /** Lets pointer strokes continue a replayed ink, with time going on from its last point. */
  function replayEnded() {
    if (state.current && state.current.x.length) endStroke();
    state.current = null;
    state.t0 = state.strokes.length ? performance.now() - lastTime() : null;
  }

  /** Plays `record` onto the canvas at its own pace (times `speed`), recognizing after each stroke. */
  function replay(record, speed) {
    stopReplay();
    newInk(String(record.label ?? ''), 'replaced');
    // Times as in inkjot: a missing t is synthesized at 10 ms per point.
    let next = 0;
    const strokes = record.strokes.map((s) => {
      const t = Array.isArray(s.t) ? s.t.map(Number) : s.x.map((_, i) => next + 10 * i);
      next = t[t.length - 1] + 20;
      return { x: s.x.map(Number), y: s.y.map(Number), t };
    });
    let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
    for (const s of strokes) {
      for (let i = 0; i < s.x.length; i++) {
        minX = Math.min(minX, s.x[i]); maxX = Math.max(maxX, s.x[i]);
        minY = Math.min(minY, s.y[i]); maxY = Math.max(maxY, s.y[i]);
      }
    }
    // A wide ink (a word, a line) is written on the first ruled line at the lines' size; anything
    // else is fitted into the visible part of the sheet, at most three lines tall.
    const p = pitch();
    const inkW = Math.max(maxX - minX, 1e-9);
    const inkH = Math.max(maxY - minY, 1e-9);
    const margin = 24;
    const scale = inkW / inkH >= 2.5 ? Math.min(0.85 * p / inkH, 10)
      : Math.min((scroller.clientWidth - 2 * margin) / inkW, (scroller.clientHeight - 2 * margin) / inkH,
        2.5 * p / inkH, 10);
    const offX = margin;
    const offY = Math.max(4, baseline(0) - 0.3 * p - inkH * scale / 2);
    const t0 = strokes[0].t[0];
    // Schedule: playback time of each point, pauses capped.
    const events = [];
    let clock = 0; let prev = t0;
    strokes.forEach((s, si) => s.x.forEach((_, i) => {
      clock += Math.min(Math.max(s.t[i] - prev, 0), MAX_GAP_MS);
      prev = s.t[i];
      events.push({
        at: clock / speed, si, last: i === s.x.length - 1,
        x: round((s.x[i] - minX) * scale + offX, 2), y: round((s.y[i] - minY) * scale + offY, 2),
        t: round(s.t[i] - t0, 1),
      });
    }));
    document.body.dataset.replay = 'playing';
    const started = performance.now();
    let k = 0;
    const step = () => {
      const now = performance.now() - started;
      while (k < events.length && events[k].at <= now) {
        const ev = events[k++];
        if (!state.current) beginStroke();
        pushPoint(ev.x, ev.y, ev.t, false);
        if (ev.last) endStroke();
      }
      if (k < events.length) {
        state.replay.frame = requestAnimationFrame(step);
      } else {
        state.replay = null;
        replayEnded();
        document.body.dataset.replay = 'done';
      }
    };
    state.replay = { frame: requestAnimationFrame(step) };
  }

  // ---- collecting inks -----------------------------------------------------------------------

  function currentRecord() {
    const strokes = state.strokes.filter((s) => s.x.length > 0);
    if (!strokes.length) return null;
    const record = { id: state.inkId || newId(), strokes };
    const label = $('label').value.trim();
    if (label) record.label = label;
    return record;
  }

  function updateKept() {
    $('kept').textContent = `${state.kept.length} kept`;
  }

  $('keep').addEventListener('click', () => {
    if (state.current) return;
    const record = currentRecord();
    if (!record) {
      setStatus('Nothing to keep: write something first.', true);
      return;
    }
    stopReplay();
    state.kept.push(record);
    newInk();
    updateKept();
    setStatus(`Kept ink ${state.kept.length}.`);
    labelNote(record.label ? `Kept ink ${state.kept.length} labelled “${record.label}”.`
      : `Kept ink ${state.kept.length} without a label.`);
  });

  $('download').addEventListener('click', () => {
    const current = state.current ? null : currentRecord();
    const records = current ? [...state.kept, current] : state.kept;
    if (!records.length) {
      setStatus('Nothing to download: write something first.', true);
      return;
    }
    const text = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
    const url = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${newId()}.jsonl`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
    setStatus(`Downloaded ${records.length} ink${records.length === 1 ? '' : 's'}.`);
  });

  // ---- controls ------------------------------------------------------------------------------

  $('undo').addEventListener('click', undo);
  $('clear').addEventListener('click', () => { stopReplay(); newInk(); });
  $('newline').addEventListener('click', newLine);
  $('retry').addEventListener('click', () => {
    const again = state.retry;
    setStatus('Retrying…');
    if (again) again();
  });
  $('open-file').addEventListener('click', () => $('replay-file').click());
  scroller.addEventListener('scroll', redraw, { passive: true });
  for (const id of ['lang', 'use-lm']) $(id).addEventListener('change', recognize);
  let typing = null;
  for (const id of ['context', 'user-words']) {
    $(id).addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(recognize, 250);
    });
  }
  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement) return;
    if ((e.ctrlKey || e.metaKey) && e.key === 'z') {
      e.preventDefault();
      undo();
    } else if (e.key === 'Enter' && (e.target === document.body || e.target === pad)) {
      e.preventDefault();
      newLine();
    } else if (e.key === 'Escape') {
      stopReplay();
      newInk();
    }
  });
  new ResizeObserver(resize).observe(scroller);

  async function loadInfo() {
    const select = $('lang');
    try {
      const response = await fetch('api/info');
      if (!response.ok) throw await httpError(response);
      const info = await response.json();
      select.replaceChildren();
      for (const code of info.languages) {
        const option = document.createElement('option');
        option.value = code;
        option.textContent = NAMES[code] ? `${NAMES[code]} (${code})` : code;
        select.append(option);
      }
      if (info.default) select.value = info.default;
      if (!info.languages.length) {
        const option = document.createElement('option');
        option.textContent = 'no language packs';
        select.append(option);
        select.disabled = true;
        $('use-lm').checked = false;
        $('use-lm').disabled = true;
      }
      $('footer').textContent = `inkjot ${info.version} · model ${info.model}`
        + `${info.int8 ? ' (int8)' : ''} · nothing leaves this machine · `;
      const engine = document.createElement('span');
      engine.id = 'engine';
      $('footer').append(engine);
      document.body.dataset.ready = '1';
      loadLocal(info.wasm);
      if (info.wasm && info.wasm.available) keepOffline();
    } catch (err) {
      setStatus(failure('Cannot load the languages', err), true, async () => {
        await loadInfo();
        if (document.body.dataset.ready === '1') recognize();
      });
    }
  }

  resize();
  loadInfo();
})();
