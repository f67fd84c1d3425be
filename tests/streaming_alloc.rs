//! Adding points to a streaming `Session` allocates nothing (issue #14): a counting global
//! allocator (this test binary only) counts the allocations of the current thread while every
//! point of real words is added one by one; `end_stroke` and `candidates` are counted too, to show
//! that the counter sees their work.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use std::sync::Arc;

use inkjot::ink::{InkLimits, InkRecord, read_ink_file};
use inkjot::{RecognizeOptions, Recognizer, Session, SessionOptions};

mod common;
use common::{SHIPPED_MODEL, TINY_MODEL, sample};

/// The system allocator, counting allocations and reallocations per thread (other test threads
/// and the harness do not disturb the count).
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: the thread-local may already be gone while a thread is torn down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every call is forwarded to `System` unchanged; counting touches only a const-initialized
// thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: the caller upholds `alloc`'s contract, which is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
        // SAFETY: the caller upholds `realloc`'s contract, which is `System`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `dealloc`'s contract, which is `System`'s.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations made by the current thread while `f` runs, and its result.
fn counted<T>(f: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (ALLOCATIONS.with(Cell::get) - before, out)
}

/// The committed UNIPEN valid sample, and the first 200 valid words when the data is beside the
/// repository (`../shared/data/unipen/valid.jsonl.gz`).
fn words() -> Vec<InkRecord> {
    let mut words = sample();
    let valid = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/unipen/valid.jsonl.gz");
    if let Ok(records) = read_ink_file(&valid, InkLimits::default()) {
        words.extend(
            records
                .filter_map(Result::ok)
                .filter(|r| r.kind.as_deref() == Some("word"))
                .take(200),
        );
    }
    words
}

/// A sanity bound on `end_stroke`'s allocations (the copy of the points and the fit's buffers).
const MAX_END_STROKE_ALLOCATIONS: usize = 1_000;

#[test]
fn adding_points_allocates_nothing_and_end_stroke_and_candidates_are_counted() {
    let path = [SHIPPED_MODEL, TINY_MODEL]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap();
    let recognizer = Arc::new(Recognizer::from_file(Path::new(path)).unwrap());
    let options = RecognizeOptions::default();
    let words = words();
    assert!(words.len() >= 7);
    let mut points_added = 0;
    let mut max_end_stroke = 0;
    for record in &words {
        let what = &record.id;
        let strokes = record.ink.strokes();
        for session in [
            Session::new(Arc::clone(&recognizer), SessionOptions::default()).unwrap(),
            // A clone keeps the reservation too (the benches clone prepared sessions).
            Session::new(Arc::clone(&recognizer), SessionOptions::default())
                .unwrap()
                .clone(),
        ] {
            let mut session = session;
            // Warm-up: the first stroke, then it is undone (capacity kept) and the word written.
            for p in &strokes[0].points {
                session.add_point(*p).unwrap();
            }
            session.end_stroke();
            assert!(session.undo_stroke());
            for (i, stroke) in strokes.iter().enumerate() {
                for (j, p) in stroke.points.iter().enumerate() {
                    let (allocations, added) = counted(|| session.add_point(*p));
                    added.unwrap();
                    assert_eq!(
                        allocations, 0,
                        "{what}: adding point {j} of stroke {i} allocated"
                    );
                    points_added += 1;
                }
                // One copy of the points, the fit: some work, and not unbounded.
                let (allocations, ()) = counted(|| session.end_stroke());
                max_end_stroke = max_end_stroke.max(allocations);
                assert!(
                    (1..=MAX_END_STROKE_ALLOCATIONS).contains(&allocations),
                    "{what}: end_stroke of stroke {i} made {allocations} allocations"
                );
            }
            let (allocations, recognition) = counted(|| session.candidates(&options));
            let recognition = recognition.unwrap();
            assert!(!recognition.candidates.is_empty(), "{what}");
            assert!(
                allocations >= 1,
                "{what}: candidates() made no allocation: is the counter counting?"
            );
            assert_eq!(session.point_count(), record.ink.point_count(), "{what}");
        }
    }
    assert!(points_added > 0);
    eprintln!(
        "{points_added} points added without allocating; end_stroke: at most {max_end_stroke} allocations"
    );
}
