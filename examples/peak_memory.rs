//! Peak heap of a recognizer with the English pack: loading `models/` (int8 model + `models/en`)
//! and recognizing words with default options (beam search + English LM), measured by a global
//! allocator that keeps the live bytes and their high-water mark.
//!
//! Run: `cargo run --release --example peak_memory [-- INKS.jsonl[.gz] [LIMIT]]` (default: the
//! first 200 words of `../shared/data/unipen/valid.jsonl.gz`, else
//! `tests/fixtures/unipen_valid_sample.jsonl`). The resident set of the whole CLI process is
//! `/usr/bin/time -v target/release/inkjot recognize INKS --lang en` ("Maximum resident set size").

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use inkjot::ink::{InkLimits, read_ink_file};
use inkjot::{Models, RecognizeOptions};

/// The system allocator, keeping the live bytes and their peak.
struct Peak;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grow(bytes: usize) {
    let live = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

fn shrink(bytes: usize) {
    LIVE.fetch_sub(bytes, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; the bookkeeping is two atomics.
unsafe impl GlobalAlloc for Peak {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract, which is `System`'s.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            grow(layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            grow(layout.size());
        }
        ptr
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller upholds `realloc`'s contract, which is `System`'s.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            grow(new_size);
            shrink(layout.size());
        }
        new
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `dealloc`'s contract, which is `System`'s.
        unsafe { System.dealloc(ptr, layout) };
        shrink(layout.size());
    }
}

#[global_allocator]
static GLOBAL: Peak = Peak;

fn mib(bytes: usize) -> String {
    format!("{:.2} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut args = std::env::args().skip(1);
    let inks = args.next().map(PathBuf::from).unwrap_or_else(|| {
        let valid = root.join("../shared/data/unipen/valid.jsonl.gz");
        if valid.exists() {
            valid
        } else {
            root.join("tests/fixtures/unipen_valid_sample.jsonl")
        }
    });
    let limit: usize = args.next().map_or(Ok(200), |s| s.parse())?;
    let words: Vec<_> = read_ink_file(&inks, InkLimits::default())?
        .filter_map(Result::ok)
        .filter(|r| r.kind.as_deref().is_none_or(|k| k == "word"))
        .take(limit)
        .collect();
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);

    let recognizer = Models::from_path(&root.join("models"))?.recognizer(Some("en"))?;
    let loaded = LIVE.load(Ordering::Relaxed) - before;
    let load_peak = PEAK.load(Ordering::Relaxed) - before;

    let options = RecognizeOptions::default();
    let mut recognized = 0;
    for record in &words {
        if recognizer.recognize(&record.ink, &options).is_ok() {
            recognized += 1;
        }
    }
    let peak = PEAK.load(Ordering::Relaxed) - before;
    println!(
        "{} (English pack): live after loading {}, peak while loading {}, peak over loading + \
         recognizing {recognized} words of {} {}",
        root.join("models").display(),
        mib(loaded),
        mib(load_peak),
        inks.display(),
        mib(peak),
    );
    println!("(the inks read beforehand are not counted)");
    Ok(())
}
