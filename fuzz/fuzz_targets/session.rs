//! The streaming session driven through the C ABI by a byte-coded sequence of calls (points,
//! batches of points, stroke ends, candidate requests with arbitrary options, clears), with the
//! shipped int8 model and English pack.
//!
//! Checked: no call panics (libfuzzer aborts on any panic, even one the C boundary catches);
//! every status is one the function documents; rejected points leave the session unchanged (a
//! mirror of the accepted points agrees with `inkjot_session_stroke_count`); candidates hold the
//! invariants of `check_candidates`; and at the end, when the session's frame still has the ink's
//! corner and scale (see src/ffi/session.rs), its candidates equal `inkjot_recognize` on the same
//! points bit for bit.
#![no_main]

use std::ffi::CString;
use std::ptr::{null, null_mut};
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use inkjot::decode::Candidate;
use inkjot::features::{WritingArea, reference_height};
use inkjot::ffi::*;
use inkjot_fuzz::{FuzzHeight, FuzzInk, FuzzPoint, ROOT, check_candidates, read_bytes};
use libfuzzer_sys::fuzz_target;

/// One C call, as fuzz bytes: an opcode byte (mod 5) and its operands.
#[derive(Debug)]
enum Call {
    /// 0: a point (see `FuzzPoint`).
    AddPoint(FuzzPoint),
    /// 1: a count byte and that many points.
    AddPoints(Vec<FuzzPoint>),
    /// 2.
    EndStroke,
    /// 3: n-best byte; flags (bit 0: use the LM, bit 1: options given, bit 2: give a height);
    /// a height (see `FuzzHeight`); a length byte and the pre-context bytes.
    Candidates {
        nbest: u8,
        use_lm: bool,
        /// None: NULL options; Some(None): height 0 (the session's); Some(Some(h)): height h.
        height: Option<Option<f64>>,
        pre_context: Vec<u8>,
    },
    /// 4.
    Clear,
}

impl Call {
    fn read(u: &mut Unstructured, unit: f64) -> arbitrary::Result<Self> {
        Ok(match u8::arbitrary(u)? % 5 {
            0 => Call::AddPoint(FuzzPoint::read(u)?),
            1 => {
                let count = u8::arbitrary(u)?;
                let mut points = Vec::new();
                for _ in 0..count {
                    match FuzzPoint::read(u) {
                        Ok(p) => points.push(p),
                        Err(_) => break,
                    }
                }
                Call::AddPoints(points)
            }
            2 => Call::EndStroke,
            3 => {
                let nbest = u8::arbitrary(u)?;
                let flags = u8::arbitrary(u)?;
                let height = FuzzHeight::read(u)?.value(unit);
                let pre_context = read_bytes(u)?.to_vec();
                Call::Candidates {
                    nbest,
                    use_lm: flags & 1 == 1,
                    height: (flags & 2 == 2).then_some(height.filter(|_| flags & 4 == 4)),
                    pre_context,
                }
            }
            _ => Call::Clear,
        })
    }
}

/// The whole input: the session's height (see `FuzzHeight`; none is 0, the ink's own), the
/// grid unit's log2 (as in `FuzzInk`), then calls.
#[derive(Debug)]
struct Input {
    height: Option<f64>,
    unit_exp: i8,
    calls: Vec<Call>,
}

impl Input {
    fn read(data: &[u8]) -> arbitrary::Result<Self> {
        let mut u = Unstructured::new(data);
        let height = FuzzHeight::read(&mut u)?;
        let unit_exp = i8::arbitrary(&mut u)?;
        let unit = FuzzInk::unit(unit_exp);
        let mut calls = Vec::new();
        while !u.is_empty() && calls.len() < 64 {
            match Call::read(&mut u, unit) {
                Ok(call) => calls.push(call),
                Err(_) => break,
            }
        }
        Ok(Input {
            height: height.value(unit),
            unit_exp,
            calls,
        })
    }
}

/// The recognizer as a C handle, made once (its address as an integer: handles are not `Sync`).
fn recognizer() -> *const InkjotRecognizer {
    static R: OnceLock<usize> = OnceLock::new();
    *R.get_or_init(|| {
        let path = CString::new(format!("{ROOT}/models")).unwrap();
        let lang = CString::new("en").unwrap();
        let mut out = null_mut();
        // SAFETY: valid strings and out pointer.
        let status =
            unsafe { inkjot_recognizer_new_from_path(path.as_ptr(), lang.as_ptr(), &mut out) };
        assert_eq!(status, InkjotStatus::Ok, "{}", last_error_message());
        out as usize
    }) as *const InkjotRecognizer
}

/// The alphabet of the model behind [`recognizer`], read through the Rust API.
fn alphabet() -> &'static [String] {
    static A: OnceLock<Vec<String>> = OnceLock::new();
    A.get_or_init(|| {
        let model = std::fs::read(format!("{ROOT}/models/recognizer-int8.safetensors")).unwrap();
        inkjot::Recognizer::from_bytes(&model)
            .unwrap()
            .model()
            .alphabet()
            .to_vec()
    })
}

/// Takes ownership of C results and returns the candidates.
fn take(results: *mut InkjotResults) -> Vec<Candidate> {
    // SAFETY: `results` came from a successful call and is freed once, here.
    unsafe {
        let n = inkjot_results_count(results);
        let out = (0..n)
            .map(|i| {
                let text = std::ffi::CStr::from_ptr(inkjot_results_text(results, i))
                    .to_str()
                    .expect("UTF-8 text")
                    .to_owned();
                let mut c = Candidate::new(text, inkjot_results_score(results, i));
                c.confidence = inkjot_results_confidence(results, i);
                c
            })
            .collect();
        inkjot_results_free(results);
        out
    }
}

/// What the harness knows of the session: accepted strokes, and the frame it expects the session
/// to have fitted finished strokes in (the bounding box's corner and the scale when fixed).
#[derive(Default)]
struct Mirror {
    strokes: Vec<Vec<InkjotPoint>>,
    in_stroke: bool,
    frame: Option<(f64, f64, f64)>,
}

impl Mirror {
    fn points(&self) -> impl Iterator<Item = &InkjotPoint> {
        self.strokes.iter().flatten()
    }

    fn bbox(&self) -> (f64, f64, f64, f64) {
        self.points().fold(
            (
                f64::INFINITY,
                f64::INFINITY,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ),
            |b, p| (b.0.min(p.x), b.1.min(p.y), b.2.max(p.x), b.3.max(p.y)),
        )
    }

    fn scale(&self, area: WritingArea) -> f64 {
        let (x0, y0, x1, y1) = self.bbox();
        1.0 / reference_height(x1 - x0, y1 - y0, area)
    }

    /// The session refits in a new frame when the scale changed (as `Session::refresh_frame`).
    fn refresh(&mut self, area: WritingArea) {
        let scale = self.scale(area);
        if self.frame.is_none_or(|f| f.2 != scale) {
            let (x0, y0, _, _) = self.bbox();
            self.frame = Some((x0, y0, scale));
        }
    }

    fn add(&mut self, points: &[InkjotPoint]) {
        if points.is_empty() {
            return;
        }
        if !self.in_stroke {
            self.strokes.push(Vec::new());
            self.in_stroke = true;
        }
        if let Some(stroke) = self.strokes.last_mut() {
            stroke.extend_from_slice(points);
        }
    }

    fn end_stroke(&mut self, area: WritingArea) {
        if self.in_stroke {
            self.refresh(area);
            self.in_stroke = false;
        }
    }
}

fn points(unit_exp: i8, raw: &[FuzzPoint], t0: f64) -> Vec<InkjotPoint> {
    let ink = FuzzInk {
        unit_exp,
        strokes: vec![raw.to_vec()],
    };
    ink.strokes()
        .into_iter()
        .flat_map(|s| s.points)
        .map(|p| InkjotPoint {
            x: p.x,
            y: p.y,
            t: p.t + t0,
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = Input::read(data) else {
        return;
    };
    let r = recognizer();
    let height = input.height.unwrap_or(0.0);
    let mut session = null_mut();
    // SAFETY: a live recognizer and a valid out pointer.
    let status = unsafe { inkjot_session_new(r, height, &mut session) };
    let area = match status {
        InkjotStatus::Ok if height == 0.0 => WritingArea::Auto,
        InkjotStatus::Ok => WritingArea::Height(height),
        InkjotStatus::InvalidArgument => {
            assert!(!WritingArea::Height(height).is_valid(), "{height} refused");
            return;
        }
        other => panic!("inkjot_session_new: {other:?}"),
    };
    let mut mirror = Mirror::default();
    let alphabet = alphabet();
    for call in &input.calls {
        // Times continue from the last accepted point so that most points are valid.
        let t0 = mirror.points().last().map_or(0.0, |p| p.t);
        match call {
            Call::AddPoint(p) => {
                let p = points(input.unit_exp, std::slice::from_ref(p), t0);
                // SAFETY: a live session used by this thread only.
                let status = unsafe { inkjot_session_add_point(session, p[0].x, p[0].y, p[0].t) };
                match status {
                    InkjotStatus::Ok => mirror.add(&p),
                    InkjotStatus::InvalidInk => {}
                    other => panic!("add_point: {other:?}"),
                }
            }
            Call::AddPoints(raw) => {
                let p = points(input.unit_exp, raw, t0);
                // SAFETY: as above; `p` holds `p.len()` points.
                let status = unsafe { inkjot_session_add_points(session, p.as_ptr(), p.len()) };
                match status {
                    InkjotStatus::Ok => mirror.add(&p),
                    InkjotStatus::InvalidInk => {}
                    other => panic!("add_points: {other:?}"),
                }
            }
            Call::EndStroke => {
                // SAFETY: as above.
                assert_eq!(
                    unsafe { inkjot_session_end_stroke(session) },
                    InkjotStatus::Ok
                );
                mirror.end_stroke(area);
            }
            Call::Candidates {
                nbest,
                use_lm,
                height: h,
                pre_context,
            } => {
                let pre = CString::new(pre_context.iter().map(|&b| b.max(1)).collect::<Vec<u8>>())
                    .unwrap();
                let options = h.map(|h| InkjotOptions {
                    nbest: usize::from(*nbest),
                    pre_context: pre.as_ptr(),
                    writing_area_height: h.unwrap_or(0.0),
                    use_lm: *use_lm,
                    ..inkjot_options_default()
                });
                let options_ptr = options.as_ref().map_or(null(), |o| o as *const _);
                let mut out = null_mut();
                // SAFETY: as above; options NULL or valid; `out` valid for writes.
                let status = unsafe { inkjot_session_candidates(session, options_ptr, &mut out) };
                match status {
                    InkjotStatus::Ok => {
                        let candidates = take(out);
                        if mirror.strokes.is_empty() {
                            assert!(candidates.is_empty());
                        } else {
                            mirror.refresh(area);
                            let o = options.unwrap_or_else(|| inkjot_options_default());
                            check_candidates(&candidates, o.nbest, alphabet, o.use_lm);
                        }
                    }
                    InkjotStatus::InvalidArgument | InkjotStatus::InvalidUtf8 => {
                        assert!(out.is_null(), "out written on error");
                    }
                    other => panic!("candidates: {other:?}"),
                }
            }
            Call::Clear => {
                // SAFETY: as above.
                assert_eq!(unsafe { inkjot_session_clear(session) }, InkjotStatus::Ok);
                mirror = Mirror::default();
            }
        }
        // SAFETY: as above.
        let count = unsafe { inkjot_session_stroke_count(session) };
        assert_eq!(count, mirror.strokes.len(), "stroke count");
    }
    // Streaming equals batch while the frame has the ink's corner and scale.
    // SAFETY: as above.
    assert_eq!(
        unsafe { inkjot_session_end_stroke(session) },
        InkjotStatus::Ok
    );
    mirror.end_stroke(area);
    if !mirror.strokes.is_empty() {
        let mut out = null_mut();
        // SAFETY: as above.
        let status = unsafe { inkjot_session_candidates(session, null(), &mut out) };
        assert_eq!(status, InkjotStatus::Ok, "{}", last_error_message());
        let streamed = take(out);
        mirror.refresh(area);
        let (x0, y0, _, _) = mirror.bbox();
        if mirror.frame == Some((x0, y0, mirror.scale(area))) {
            let flat: Vec<InkjotPoint> = mirror.points().copied().collect();
            let lengths: Vec<usize> = mirror.strokes.iter().map(Vec::len).collect();
            let options = InkjotOptions {
                writing_area_height: height,
                ..inkjot_options_default()
            };
            let mut out = null_mut();
            // SAFETY: a live recognizer; arrays of the lengths given; valid options and out.
            let status = unsafe {
                inkjot_recognize(
                    r,
                    flat.as_ptr(),
                    lengths.as_ptr(),
                    lengths.len(),
                    &options,
                    &mut out,
                )
            };
            assert_eq!(status, InkjotStatus::Ok, "{}", last_error_message());
            let batch = take(out);
            assert_eq!(streamed, batch, "streaming differs from batch");
        }
    }
    // SAFETY: made above, freed once.
    unsafe { inkjot_session_free(session) };
});
