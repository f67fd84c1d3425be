//! The compact runtime LM format (`lm.bin`): the same backoff model as the OpenFST file of
//! [`lm`](super::lm), with quantized costs and narrow integers, about 6 bytes per n-gram instead
//! of ~30.
//!
//! # File format (version 1)
//!
//! All integers are little-endian and unsigned. A file is a 40-byte header, then five sections
//! packed back to back with no padding, then, when flag bit 0 is set, a word-pair table, and
//! nothing after them (the file's length must be exactly the one the header and the table
//! imply):
//!
//! | offset | field | meaning |
//! |---|---|---|
//! | 0 | `magic: [u8; 8]` | `INKJOTLM` |
//! | 8 | `version: u32` | 1 |
//! | 12 | `flags: u32` | bit 0: a word-pair table follows the arcs; other bits 0 (reserved) |
//! | 16 | `states: u32` | number of states, at least 1 |
//! | 20 | `arcs: u32` | number of character arcs (backoff arcs not counted) |
//! | 24 | `symbols: u32` | entries of the symbol table, at most 65,535 |
//! | 28 | `start: u32` | the start state |
//! | 32 | `arc_codes: u32` | entries of the arc-cost codebook, at most 65,536 |
//! | 36 | `backoff_codes: u32` | entries of the backoff-cost codebook, at most 65,536 |
//!
//! 1. **Symbol table**: `symbols` × `u32`, Unicode scalar values (not 0), strictly ascending;
//!    [`UNK_LABEL`](super::lm::UNK_LABEL) among them stands for every other character.
//! 2. **Arc-cost codebook**: `arc_codes` × `f32`, finite costs `-ln p`.
//! 3. **Backoff-cost codebook**: `backoff_codes` × `f32`, finite.
//! 4. **States**, one record per state in order: the number of its arcs (`S` bytes), its backoff
//!    target (`N` bytes; all ones = none) and the backoff cost's codebook index (`B` bytes; 0
//!    when there is no backoff).
//! 5. **Arcs**, the arcs of state 0, then of state 1, ..., each state's in strictly ascending
//!    symbol order: the symbol's index in the table (`S` bytes), the cost's codebook index (`A`
//!    bytes) and the next state (`N` bytes).
//!
//! 6. **Word pairs** (flag bit 0; [`WordPairs`](super::WordPairs)): `pairs: u32`, `scale: f32`
//!    (finite, above 0), `pairs` × `u32` keys (strictly ascending), `pairs` × `i8` scores
//!    (PMI = score × scale). OpenFST has no place for them: [`CharLm::to_fst`] leaves them out.
//!
//! The widths follow from the header: `S` = 1 when `symbols` <= 255, else 2; `N` = the fewest
//! bytes (1 to 4) whose all-ones value is at least `states`; `A` and `B` = 1 when their codebook
//! has at most 256 entries, else 2.
//!
//! Semantics are those of the OpenFST file: a backoff is taken only when the state has no arc for
//! the symbol (failure semantics), backoff chains must not loop. Final weights are not stored
//! (the runtime ignores them); converting back to OpenFST ([`CharLm::to_fst`]) makes final the
//! start state and every state a space leads to, which are the final states of a model from
//! [`lm_build`](super::lm_build).
//!
//! # Quantization
//!
//! [`write`] quantizes arc costs and backoff costs separately, each with a codebook of at most
//! [`DEFAULT_CODES`] entries by default: three quarters from a 1-D k-means (Lloyd's algorithm
//! from quantile starts: small errors where costs are dense), a quarter spread evenly from the
//! smallest cost to the largest (a bounded error in the sparse tails). A set of costs with no
//! more distinct values than the codebook is stored exactly. On the English pack this changes
//! the per-character perplexity by less than 0.1% (see `models/README.md`).

use super::WordPairs;
use super::lm::{CharLm, LmParts, NONE};

use crate::error::{Error, Result};

/// The first 8 bytes of a compact LM file.
pub const MAGIC: &[u8; 8] = b"INKJOTLM";

/// The format version this build reads and writes.
pub const VERSION: u32 = 1;

/// Codebook entries per cost kind that [`write`] uses unless told otherwise (one byte a cost).
pub const DEFAULT_CODES: usize = 256;

const HEADER_BYTES: usize = 40;
/// Header flag: a word-pair table follows the arcs.
const PAIRS_FLAG: u32 = 1;
const MAX_SYMBOLS: u32 = u16::MAX as u32;
const MAX_CODES: u32 = 1 << 16;
const LLOYD_ITERATIONS: usize = 40;

/// What [`write`] produced.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct CompactStats {
    /// Size of the file.
    pub bytes: usize,
    /// Largest `|cost - stored cost|` over the arcs, in nats.
    pub max_arc_error: f32,
    /// Largest `|cost - stored cost|` over the backoff arcs, in nats.
    pub max_backoff_error: f32,
    /// Entries of the arc-cost codebook.
    pub arc_codes: usize,
    /// Entries of the backoff-cost codebook.
    pub backoff_codes: usize,
}

/// Whether `bytes` start like a compact LM file.
pub fn is_compact(bytes: &[u8]) -> bool {
    bytes.starts_with(MAGIC)
}

/// Widths in bytes of the variable-width fields.
#[derive(Debug, Clone, Copy)]
struct Widths {
    symbol: usize,
    state: usize,
    arc_code: usize,
    backoff_code: usize,
}

impl Widths {
    fn new(states: u32, symbols: u32, arc_codes: u32, backoff_codes: u32) -> Self {
        let code = |n: u32| if n <= 256 { 1 } else { 2 };
        Widths {
            symbol: if symbols <= 255 { 1 } else { 2 },
            state: (1..=4usize)
                .find(|&b| u64::from(states) <= all_ones(b))
                .unwrap_or(4),
            arc_code: code(arc_codes),
            backoff_code: code(backoff_codes),
        }
    }
}

fn all_ones(bytes: usize) -> u64 {
    (1u64 << (8 * bytes)) - 1
}

/// The bytes of `lm` in the compact format, quantizing each cost kind to at most `codes`
/// codebook entries (1 to 65,536; [`DEFAULT_CODES`] gives one byte a cost).
pub fn write(lm: &CharLm, codes: usize) -> Result<(Vec<u8>, CompactStats)> {
    if !(1..=MAX_CODES as usize).contains(&codes) {
        return Err(Error::invalid(
            "codes",
            format!("must be 1 to {MAX_CODES}, not {codes}"),
        ));
    }
    let p = lm;
    let too_big = |what: String| Error::Serialize {
        what: "the compact LM",
        reason: what,
    };
    if p.labels.len() > MAX_SYMBOLS as usize {
        return Err(too_big(format!(
            "{} symbols (the compact format holds at most {MAX_SYMBOLS})",
            p.labels.len()
        )));
    }
    let states = p.backoff_state.len();
    let arcs = p.arc_symbol.len();
    let (states32, arcs32) = match (u32::try_from(states), u32::try_from(arcs)) {
        (Ok(s), Ok(a)) if s < NONE => (s, a),
        _ => return Err(too_big(format!("{states} states, {arcs} arcs"))),
    };
    let backoff_costs: Vec<f32> = (0..states)
        .filter(|&s| p.backoff_state[s] != NONE)
        .map(|s| p.backoff_cost[s])
        .collect();
    let arc_book = Codebook::fit(&p.arc_cost, codes);
    let backoff_book = Codebook::fit(&backoff_costs, codes);
    let w = Widths::new(
        states32,
        p.labels.len() as u32,
        arc_book.values.len() as u32,
        backoff_book.values.len() as u32,
    );
    let mut out = Vec::with_capacity(
        HEADER_BYTES
            + 4 * (p.labels.len() + arc_book.values.len() + backoff_book.values.len())
            + states * (w.symbol + w.state + w.backoff_code)
            + arcs * (w.symbol + w.arc_code + w.state),
    );
    out.extend_from_slice(MAGIC);
    for v in [
        VERSION,
        u32::from(p.pairs.is_some()),
        states32,
        arcs32,
        p.labels.len() as u32,
        p.start,
        arc_book.values.len() as u32,
        backoff_book.values.len() as u32,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for &l in &p.labels {
        out.extend_from_slice(&l.to_le_bytes());
    }
    for &c in arc_book.values.iter().chain(&backoff_book.values) {
        out.extend_from_slice(&c.to_le_bytes());
    }
    let put = |out: &mut Vec<u8>, v: u64, width: usize| {
        out.extend_from_slice(&v.to_le_bytes()[..width]);
    };
    let (mut max_arc_error, mut max_backoff_error) = (0.0f32, 0.0f32);
    for s in 0..states {
        let count = p.arc_first[s + 1] - p.arc_first[s];
        put(&mut out, u64::from(count), w.symbol);
        let (target, code) = match p.backoff_state[s] {
            NONE => (all_ones(w.state), 0),
            t => {
                let (code, error) = backoff_book.encode(p.backoff_cost[s]);
                max_backoff_error = max_backoff_error.max(error);
                (u64::from(t), code)
            }
        };
        put(&mut out, target, w.state);
        put(&mut out, code as u64, w.backoff_code);
    }
    for a in 0..arcs {
        put(&mut out, u64::from(p.arc_symbol[a]), w.symbol);
        let (code, error) = arc_book.encode(p.arc_cost[a]);
        max_arc_error = max_arc_error.max(error);
        put(&mut out, code as u64, w.arc_code);
        put(&mut out, u64::from(p.arc_next[a]), w.state);
    }
    if let Some(pairs) = &p.pairs {
        pairs.write(&mut out);
    }
    let stats = CompactStats {
        bytes: out.len(),
        max_arc_error,
        max_backoff_error,
        arc_codes: arc_book.values.len(),
        backoff_codes: backoff_book.values.len(),
    };
    Ok((out, stats))
}

/// Parses and validates a compact LM file into the runtime's arrays.
pub(super) fn read(bytes: &[u8]) -> Result<LmParts> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(MAGIC.len())? != MAGIC {
        return Err(bad("not a compact LM file (bad magic number)"));
    }
    let version = r.u32()?;
    if version != VERSION {
        return Err(bad(format!(
            "compact LM version {version}; this inkjot reads version {VERSION}"
        )));
    }
    let flags = r.u32()?;
    if flags & !PAIRS_FLAG != 0 {
        return Err(bad(format!("unknown flags {flags:#x}")));
    }
    let states = r.u32()?;
    let arcs = r.u32()?;
    let symbols = r.u32()?;
    let start = r.u32()?;
    let arc_codes = r.u32()?;
    let backoff_codes = r.u32()?;
    if states == 0 || states == NONE || start >= states {
        return Err(bad(format!("{states} states, start state {start}")));
    }
    if symbols > MAX_SYMBOLS || arc_codes > MAX_CODES || backoff_codes > MAX_CODES {
        return Err(bad(format!(
            "{symbols} symbols, {arc_codes} arc codes, {backoff_codes} backoff codes"
        )));
    }
    let w = Widths::new(states, symbols, arc_codes, backoff_codes);
    // The exact length, checked before anything is allocated.
    let expected = HEADER_BYTES as u64
        + 4 * (u64::from(symbols) + u64::from(arc_codes) + u64::from(backoff_codes))
        + u64::from(states) * (w.symbol + w.state + w.backoff_code) as u64
        + u64::from(arcs) * (w.symbol + w.arc_code + w.state) as u64;
    let with_pairs = flags & PAIRS_FLAG != 0;
    if expected != bytes.len() as u64 && !(with_pairs && expected < bytes.len() as u64) {
        return Err(bad(format!(
            "{} bytes, but the header's {states} states, {arcs} arcs and {symbols} symbols \
             take {expected}",
            bytes.len()
        )));
    }
    let mut labels = Vec::with_capacity(symbols as usize);
    for i in 0..symbols {
        let label = r.u32()?;
        if label == 0 || char::from_u32(label).is_none() {
            return Err(bad(format!(
                "symbol {i}: {label} is not a Unicode scalar value above 0"
            )));
        }
        if labels.last().is_some_and(|&prev| prev >= label) {
            return Err(bad(format!(
                "symbol {i}: the table is not strictly ascending"
            )));
        }
        labels.push(label);
    }
    let mut codebook = |n: u32, what: &str| -> Result<Vec<f32>> {
        (0..n)
            .map(|i| {
                let c = f32::from_le_bytes(r.array()?);
                if c.is_finite() {
                    Ok(c)
                } else {
                    Err(bad(format!("{what} cost {i} is {c}, not a finite cost")))
                }
            })
            .collect()
    };
    let arc_book = codebook(arc_codes, "arc")?;
    let backoff_book = codebook(backoff_codes, "backoff")?;

    let n = states as usize;
    let mut arc_first = Vec::with_capacity(n + 1);
    let mut backoff_state = Vec::with_capacity(n);
    let mut backoff_cost = Vec::with_capacity(n);
    let mut total = 0u64;
    for s in 0..states {
        arc_first.push(total as u32);
        let count = r.uint(w.symbol)?;
        let target = r.uint(w.state)?;
        let code = r.uint(w.backoff_code)?;
        if count > u64::from(symbols) {
            return Err(bad(format!(
                "state {s}: {count} arcs for {symbols} symbols"
            )));
        }
        total += count;
        if total > u64::from(arcs) {
            return Err(bad(format!(
                "state {s}: the states hold more than the header's {arcs} arcs"
            )));
        }
        if target == all_ones(w.state) {
            if code != 0 {
                return Err(bad(format!("state {s}: a backoff cost without a backoff")));
            }
            backoff_state.push(NONE);
            backoff_cost.push(0.0);
        } else {
            let cost = backoff_book.get(code as usize).copied();
            match cost {
                Some(cost) if target < u64::from(states) => {
                    backoff_state.push(target as u32);
                    backoff_cost.push(cost);
                }
                _ => {
                    return Err(bad(format!(
                        "state {s}: backoff to state {target} of {states} with cost code {code} \
                         of {backoff_codes}"
                    )));
                }
            }
        }
    }
    if total != u64::from(arcs) {
        return Err(bad(format!(
            "the states hold {total} arcs, the header says {arcs}"
        )));
    }
    arc_first.push(total as u32);

    let m = arcs as usize;
    let mut arc_symbol = Vec::with_capacity(m);
    let mut arc_cost = Vec::with_capacity(m);
    let mut arc_next = Vec::with_capacity(m);
    for s in 0..n {
        for a in arc_first[s]..arc_first[s + 1] {
            let symbol = r.uint(w.symbol)?;
            let code = r.uint(w.arc_code)?;
            let next = r.uint(w.state)?;
            let cost = arc_book.get(code as usize).copied();
            let (Some(cost), true, true) =
                (cost, symbol < u64::from(symbols), next < u64::from(states))
            else {
                return Err(bad(format!(
                    "state {s}, arc {a}: symbol {symbol} of {symbols}, cost code {code} of \
                     {arc_codes}, next state {next} of {states}"
                )));
            };
            if a > arc_first[s] && arc_symbol.last().is_some_and(|&p| u64::from(p) >= symbol) {
                return Err(bad(format!(
                    "state {s}: arcs not in strictly ascending symbol order"
                )));
            }
            arc_symbol.push(symbol as u32);
            arc_cost.push(cost);
            arc_next.push(next as u32);
        }
    }
    let pairs = if with_pairs {
        Some(WordPairs::read(&bytes[expected as usize..]).map_err(bad)?)
    } else {
        None
    };
    Ok(LmParts {
        labels,
        start,
        arc_first,
        arc_symbol,
        arc_cost,
        arc_next,
        backoff_state,
        backoff_cost,
        pairs,
    })
}

/// An error about a compact LM file (named `lm.bin` until the loader names the real path).
fn bad(reason: impl Into<String>) -> Error {
    Error::pack(super::LanguagePack::COMPACT_LM_FILE, reason)
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or_else(|| bad("truncated"))?;
        let out = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(out)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    /// An unsigned integer of `width` (1 to 8) bytes.
    fn uint(&mut self, width: usize) -> Result<u64> {
        let mut out = [0u8; 8];
        out[..width].copy_from_slice(self.take(width)?);
        Ok(u64::from_le_bytes(out))
    }
}

/// Lloyd's algorithm on sorted `values` from quantile starts: at most `k` centers.
fn kmeans(sorted: &[f32], k: usize) -> Vec<f64> {
    let n = sorted.len();
    if k == 0 || n == 0 {
        return Vec::new();
    }
    // Prefix sums for the mean of any run of sorted values.
    let mut prefix = Vec::with_capacity(n + 1);
    prefix.push(0.0f64);
    for &c in sorted {
        prefix.push(prefix[prefix.len() - 1] + f64::from(c));
    }
    let mut centers: Vec<f64> = (0..k)
        .map(|i| f64::from(sorted[((2 * i + 1) * n) / (2 * k)]))
        .collect();
    centers.dedup();
    for _ in 0..LLOYD_ITERATIONS {
        let mut next = Vec::with_capacity(centers.len());
        let mut lo = 0usize;
        for i in 0..centers.len() {
            let hi = if i + 1 < centers.len() {
                let mid = (centers[i] + centers[i + 1]) / 2.0;
                lo + sorted[lo..].partition_point(|&c| f64::from(c) < mid)
            } else {
                n
            };
            if hi > lo {
                next.push((prefix[hi] - prefix[lo]) / (hi - lo) as f64);
            }
            lo = hi;
        }
        next.dedup();
        if next == centers {
            break;
        }
        centers = next;
    }
    centers
}

/// A sorted set of representative costs.
struct Codebook {
    values: Vec<f32>,
}

impl Codebook {
    /// At most `k` values for `costs`: the distinct values themselves when there are no more
    /// than `k`; else three quarters of the entries from a 1-D k-means (small squared error
    /// where the costs are dense) and a quarter spread evenly over the range (a small largest
    /// error in the sparse tails).
    fn fit(costs: &[f32], k: usize) -> Self {
        let mut sorted: Vec<f32> = costs.to_vec();
        sorted.sort_unstable_by(f32::total_cmp);
        let mut distinct = sorted.clone();
        distinct.dedup();
        if distinct.len() <= k {
            return Codebook { values: distinct };
        }
        let grid = if k >= 8 { k / 4 } else { 0 };
        let (lo, hi) = (f64::from(sorted[0]), f64::from(sorted[sorted.len() - 1]));
        let mut values: Vec<f32> = kmeans(&sorted, k - grid)
            .into_iter()
            .chain((0..grid).map(|i| lo + (hi - lo) * i as f64 / (grid - 1) as f64))
            .map(|c| c as f32)
            .collect();
        values.sort_unstable_by(f32::total_cmp);
        values.dedup();
        Codebook { values }
    }

    /// The index of the entry nearest `cost`, and the error.
    fn encode(&self, cost: f32) -> (usize, f32) {
        if self.values.is_empty() {
            return (0, 0.0); // not reached: a codebook is fitted to the costs it encodes
        }
        let i = self.values.partition_point(|&v| v < cost);
        let candidates = [i.saturating_sub(1), i.min(self.values.len() - 1)];
        candidates
            .into_iter()
            .map(|j| (j, (self.values[j] - cost).abs()))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, 0.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::lm::{LmFormat, LmState, LmSymbol};
    use crate::decode::lm_build::{LmBuildConfig, NgramCounter};
    use proptest::prelude::*;
    use rustfst::prelude::*;

    /// An LM of `words` pseudo-words over 12 letters (600 words of order 5: thousands of costs).
    fn built(order: usize, words: usize) -> CharLm {
        let config = LmBuildConfig {
            order,
            ..LmBuildConfig::default()
        };
        let mut counter = NgramCounter::new(&config).unwrap();
        let letters: Vec<char> = "etaoinshrdlu".chars().collect();
        let mut x = 12345u64;
        for i in 0..words {
            let mut w = String::new();
            for _ in 0..3 + i % 6 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                w.push(letters[((x >> 33) % 12) as usize]);
            }
            counter.add_word(&w, 1e5 / (i + 1) as f64);
        }
        CharLm::from_fst(&counter.build(&config).unwrap().fst).unwrap()
    }

    fn every_step(lm: &CharLm) -> impl Iterator<Item = (LmState, LmSymbol)> + '_ {
        (0..lm.num_states() as u32)
            .flat_map(move |s| (0..lm.labels.len() as u32).map(move |y| (LmState(s), LmSymbol(y))))
    }

    #[test]
    fn round_trip_keeps_every_cost_within_the_quantization_bound() {
        let lm = built(5, 600);
        assert!(lm.arc_cost.len() > 1000, "{}", lm.arc_cost.len());
        let (bytes, stats) = write(&lm, DEFAULT_CODES).unwrap();
        assert_eq!(stats.bytes, bytes.len());
        assert!((250..=256).contains(&stats.arc_codes), "{stats:?}");
        // Quantization is coarse enough to lose information and fine enough not to matter.
        assert!(stats.max_arc_error > 0.0, "{stats:?}");
        assert!(
            stats.max_arc_error < 0.2 && stats.max_backoff_error < 0.2,
            "{stats:?}"
        );
        let compact = CharLm::from_bytes(&bytes).unwrap();
        assert_eq!(compact.num_states(), lm.num_states());
        assert_eq!(compact.num_arcs(), lm.num_arcs());
        assert_eq!(compact.order(), lm.order());
        assert_eq!(compact.start(), lm.start());
        assert!(compact.characters().eq(lm.characters()));
        // Each step takes at most order - 1 backoffs and one arc.
        let bound = (lm.order() - 1) as f32 * stats.max_backoff_error + stats.max_arc_error + 1e-4;
        let mut worst = 0.0f32;
        for (s, y) in every_step(&lm) {
            let (a, next_a) = lm.advance(s, y);
            let (b, next_b) = compact.advance(s, y);
            assert_eq!(next_a, next_b, "{s:?} {y:?}");
            worst = worst.max((a - b).abs());
        }
        assert!(worst <= bound, "{worst} > {bound}");
        // Compact -> OpenFST -> compact keeps the quantized costs exactly.
        let fst = compact.to_bytes(LmFormat::Fst).unwrap();
        assert_eq!(LmFormat::of(&fst), LmFormat::Fst);
        let back = CharLm::from_bytes(&fst).unwrap();
        let again = CharLm::from_bytes(&back.to_bytes(LmFormat::Compact).unwrap()).unwrap();
        for (s, y) in every_step(&lm) {
            assert_eq!(compact.advance(s, y), back.advance(s, y));
            assert_eq!(compact.advance(s, y), again.advance(s, y));
        }
        // The OpenFST file marks the start state and the states after a space final.
        let fst = compact.to_fst().unwrap();
        let after_space = compact.advance_char(compact.advance_char(compact.start(), 'e').1, ' ');
        assert!(fst.is_final(after_space.1.0).unwrap());
        assert!(fst.is_final(compact.start().0).unwrap());
        assert!(!fst.is_final(compact.state_after("et").0).unwrap());
    }

    #[test]
    fn word_pairs_travel_in_the_compact_file_only() {
        let text = ["new york is big", "new york city", "a yolk"];
        let pairs = crate::decode::WordPairs::from_text(text, 1, 100).unwrap();
        let lm = built(3, 12).with_word_pairs(Some(pairs.clone()));
        let (bytes, stats) = write(&lm, DEFAULT_CODES).unwrap();
        let (plain, _) = write(&built(3, 12), DEFAULT_CODES).unwrap();
        assert_eq!(stats.bytes, plain.len() + pairs.byte_len());
        assert_eq!(
            u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]),
            1
        );
        let back = CharLm::from_bytes(&bytes).unwrap();
        assert_eq!(back.word_pairs(), Some(&pairs));
        assert!(back.word_pairs().unwrap().score_words("new", "york") > 0.0);
        for (s, y) in every_step(&lm) {
            assert_eq!(
                back.advance(s, y),
                CharLm::from_bytes(&plain).unwrap().advance(s, y)
            );
        }
        // OpenFST has no place for them; a cut table is refused.
        let fst = back.to_bytes(LmFormat::Fst).unwrap();
        assert_eq!(CharLm::from_bytes(&fst).unwrap().word_pairs(), None);
        assert!(refused(&bytes[..bytes.len() - 1]).contains("word-pair"));
        assert!(refused(&bytes[..plain.len() + 3]).contains("word-pair"));
        // The flag without a table is refused too.
        let mut flagged = plain.clone();
        set_u32(&mut flagged, 12, 1);
        assert!(refused(&flagged).contains("word-pair"));
    }

    #[test]
    fn a_model_with_few_costs_is_stored_exactly() {
        let lm = built(3, 12);
        let (bytes, stats) = write(&lm, DEFAULT_CODES).unwrap();
        let compact = CharLm::from_bytes(&bytes).unwrap();
        assert!(
            stats.arc_codes < 256 && stats.backoff_codes < 256,
            "{stats:?}"
        );
        assert_eq!((stats.max_arc_error, stats.max_backoff_error), (0.0, 0.0));
        for (s, y) in every_step(&lm) {
            assert_eq!(lm.advance(s, y), compact.advance(s, y));
        }
        let fst = lm.to_bytes(LmFormat::Fst).unwrap();
        assert!(
            bytes.len() * 3 < fst.len(),
            "{} vs {}",
            bytes.len(),
            fst.len()
        );
    }

    /// A valid compact file to damage: header fields at known offsets.
    fn sample() -> Vec<u8> {
        write(&built(3, 30), DEFAULT_CODES).unwrap().0
    }

    fn refused(bytes: &[u8]) -> String {
        match CharLm::from_bytes(bytes) {
            Err(e @ Error::LanguagePack { .. }) => {
                let message = e.to_string();
                assert!(message.starts_with("lm.bin: "), "{message}");
                message
            }
            other => panic!("not refused: {:?}", other.map(|lm| lm.num_states())),
        }
    }

    fn set_u32(bytes: &mut [u8], at: usize, v: u32) {
        bytes[at..at + 4].copy_from_slice(&v.to_le_bytes());
    }

    #[test]
    fn damaged_files_are_refused_naming_what_is_wrong() {
        let good = sample();
        CharLm::from_bytes(&good).unwrap();
        for cut in [8, 12, 39, 40, good.len() / 2, good.len() - 1] {
            assert!(
                refused(&good[..cut]).contains("truncated") || cut >= 40,
                "{cut}"
            );
        }
        let mut longer = good.clone();
        longer.push(0);
        assert!(refused(&longer).contains("take"));
        let mut v2 = good.clone();
        set_u32(&mut v2, 8, 2);
        assert!(refused(&v2).contains("version 2"));
        let mut flags = good.clone();
        set_u32(&mut flags, 12, 2);
        assert!(refused(&flags).contains("flags"));
        // A huge count in the header is refused before anything is allocated.
        for at in [16, 20, 24, 32, 36] {
            let mut huge = good.clone();
            set_u32(&mut huge, at, u32::MAX - 1);
            refused(&huge);
        }
        let mut start = good.clone();
        let states = u32::from_le_bytes(good[16..20].try_into().unwrap());
        set_u32(&mut start, 28, states);
        assert!(refused(&start).contains("start state"));
        // A NaN or infinite cost in the arc codebook.
        let symbols = u32::from_le_bytes(good[24..28].try_into().unwrap()) as usize;
        let book = HEADER_BYTES + 4 * symbols;
        for bad_cost in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut nan = good.clone();
            nan[book..book + 4].copy_from_slice(&bad_cost.to_le_bytes());
            assert!(refused(&nan).contains("not a finite cost"));
        }
        // A symbol table out of order, or holding a surrogate.
        let mut order = good.clone();
        set_u32(&mut order, HEADER_BYTES + 4, 1);
        assert!(refused(&order).contains("ascending"));
        let mut surrogate = good.clone();
        set_u32(&mut surrogate, HEADER_BYTES, 0xD800);
        assert!(refused(&surrogate).contains("Unicode"));
    }

    #[test]
    fn structural_errors_are_refused() {
        // Hand-made files: 2 states, 1 symbol ('a'), 1-byte fields everywhere.
        let file = |records: [[u8; 3]; 2], arcs: &[[u8; 3]]| {
            let mut out = MAGIC.to_vec();
            for v in [VERSION, 0, 2, arcs.len() as u32, 1, 0, 1, 1] {
                out.extend_from_slice(&v.to_le_bytes());
            }
            out.extend_from_slice(&97u32.to_le_bytes());
            out.extend_from_slice(&0.5f32.to_le_bytes());
            out.extend_from_slice(&0.25f32.to_le_bytes());
            out.extend(records.iter().flatten());
            out.extend(arcs.iter().flatten());
            out
        };
        // State 0 backs off to 1, which has the only arc: valid.
        let lm = CharLm::from_bytes(&file([[0, 1, 0], [1, 255, 0]], &[[0, 0, 1]])).unwrap();
        assert_eq!(lm.advance_char(lm.start(), 'a'), (-0.75, LmState(1)));
        assert_eq!(lm.order(), 2);
        let cases: [(&[u8], &str); 6] = [
            (&file([[0, 1, 0], [0, 0, 0]], &[]), "cycle"),
            (&file([[0, 2, 0], [0, 255, 0]], &[]), "backoff to state 2"),
            (&file([[0, 1, 1], [0, 255, 0]], &[]), "cost code 1"),
            (
                &file([[0, 255, 0], [1, 255, 1]], &[[0, 0, 0]]),
                "without a backoff",
            ),
            (
                &file([[1, 255, 0], [0, 255, 0]], &[[0, 0, 2]]),
                "next state 2",
            ),
            (
                &file([[2, 255, 0], [0, 255, 0]], &[[0, 0, 0], [0, 0, 0]]),
                "2 arcs for 1",
            ),
        ];
        for (bytes, expected) in cases {
            let message = refused(bytes);
            assert!(message.contains(expected), "{expected}: {message}");
        }
        let mut two = file([[0, 255, 0], [0, 255, 0]], &[]);
        two.truncate(two.len() - 6);
        refused(&two);
    }

    proptest! {
        #[test]
        fn corrupted_compact_files_never_panic(
            cut in 0usize..4000,
            flips in proptest::collection::vec((0usize..4000, any::<u8>()), 0..8),
        ) {
            let mut bytes = sample();
            for (at, b) in flips {
                let n = bytes.len();
                bytes[at % n] = b;
            }
            bytes.truncate(cut.max(1));
            if let Ok(lm) = CharLm::from_bytes(&bytes) {
                let _ = lm.word_log_prob("then");
                let _ = lm.state_after("the cat");
            }
        }
    }

    #[test]
    fn codebooks_are_exact_for_few_values_and_close_for_many() {
        let few = [3.0f32, 1.0, 3.0, 2.5];
        let book = Codebook::fit(&few, 4);
        assert_eq!(book.values, vec![1.0, 2.5, 3.0]);
        assert!(few.iter().all(|&c| book.encode(c).1 == 0.0));
        // 10,000 costs, dense near 1 with a sparse tail to 30: the evenly spread quarter of
        // 256 entries bounds the largest error by half its step, the k-means part makes the
        // mean error smaller than that of 256 evenly spread entries (a quarter step, 0.028).
        let many: Vec<f32> = (0..10_000)
            .map(|i| {
                let u = ((i * 7919) % 10_000) as f32 / 10_000.0;
                1.0 + u.powi(8) * 29.0
            })
            .collect();
        let book = Codebook::fit(&many, 256);
        assert!(book.values.len() <= 256 && book.values.len() > 200);
        let errors: Vec<f32> = many.iter().map(|&c| book.encode(c).1).collect();
        let worst = errors.iter().copied().fold(0.0, f32::max);
        assert!(worst <= 29.0 / 63.0 / 2.0 + 1e-4, "{worst}");
        let mean = errors.iter().sum::<f32>() / errors.len() as f32;
        assert!(mean < 29.0 / 255.0 / 4.0 * 0.8, "{mean}");
        for k in 1..8 {
            let book = Codebook::fit(&many, k);
            assert!(!book.values.is_empty() && book.values.len() <= k);
            assert!(book.values.iter().all(|v| v.is_finite()));
        }
    }
}
