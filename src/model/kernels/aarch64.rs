//! AArch64 NEON kernels (as `sonos/tract` keeps them in `linalg/src/arm64/`). NEON is part of
//! every AArch64 processor, so [`plug`] always installs [`NEON`]; processors with the `dotprod`
//! extension (Armv8.2+: Cortex-A55/A76 and later, Apple M1) get [`SDOT`], whose int8 kernel
//! multiplies 16 byte pairs per `sdot` instruction.
//!
//! The f32 kernel accumulates in the same order as the AVX2 one (`x86.rs`): 8 lanes with fused
//! multiply-adds, the same pairwise reduction, the same scalar tail, so f32 results are bit for
//! bit the same on both. The int8 kernels are exact. `pool_step` stays the portable loop, which
//! the compiler already vectorizes with NEON (the baseline on AArch64).
#![allow(unsafe_code)] // SIMD intrinsics and `sdot` assembly; each block has its own SAFETY comment.

use super::{BLOCK, Kernels, portable};
use std::arch::aarch64::*;

/// Overrides the entries of `kernels` with NEON ones, with `sdot` when the processor has it.
pub fn plug(kernels: &mut Kernels) {
    *kernels = if std::arch::is_aarch64_feature_detected!("dotprod") {
        SDOT
    } else {
        NEON
    };
}

/// Plain NEON kernels (every AArch64 processor).
pub const NEON: Kernels = Kernels {
    name: "neon",
    block_f32,
    block_i8: block_i8_neon,
    quantize: super::quantize_frame,
    pool_step: portable::pool_step,
};

/// NEON with the `dotprod` extension: the int8 kernel uses `sdot`. Only valid after
/// `is_aarch64_feature_detected!("dotprod")` (see [`plug`]).
pub const SDOT: Kernels = Kernels {
    name: "neon+sdot",
    block_f32,
    block_i8: block_i8_sdot,
    quantize: super::quantize_frame,
    pool_step: portable::pool_step,
};

fn block_f32(w: &[f32], x: &[f32], out: &mut [[f32; BLOCK]]) {
    // SAFETY: NEON is a baseline feature of every AArch64 target Rust supports.
    unsafe { block_f32_impl(w, x, out) }
}

#[target_feature(enable = "neon")]
fn block_f32_impl(w: &[f32], x: &[f32], out: &mut [[f32; BLOCK]]) {
    assert_eq!(x.len() % BLOCK, 0, "block_f32: frame block size");
    let cols = x.len() / BLOCK;
    if cols == 0 {
        out.fill([0.0; BLOCK]);
        return;
    }
    for (o, wr) in out.iter_mut().zip(w.chunks_exact(cols)) {
        *o = dot4_f32(wr, x);
    }
}

fn block_i8_neon(w: &[i8], x: &[i8], out: &mut [[i32; BLOCK]]) {
    // SAFETY: NEON is a baseline feature of every AArch64 target Rust supports.
    unsafe { block_i8_neon_impl(w, x, out) }
}

#[target_feature(enable = "neon")]
fn block_i8_neon_impl(w: &[i8], x: &[i8], out: &mut [[i32; BLOCK]]) {
    let cols = w.len() / out.len().max(1);
    if cols == 0 {
        out.fill([0; BLOCK]);
        return;
    }
    assert!(
        x.len() % cols == 0 && x.len() <= BLOCK * cols,
        "block_i8: frame block size"
    );
    // The frame count is chosen once per block, not once per row (as `x86.rs` does).
    match x.len() / cols {
        0 => out.fill([0; BLOCK]),
        1 => rows_i8::<1>(w, x, cols, out),
        2 => rows_i8::<2>(w, x, cols, out),
        3 => rows_i8::<3>(w, x, cols, out),
        _ => rows_i8::<4>(w, x, cols, out),
    }
}

/// Every row of `w` (rows of `cols` weights) against the `F` frames in `x` (`x.len() == F * cols`).
#[target_feature(enable = "neon")]
fn rows_i8<const F: usize>(w: &[i8], x: &[i8], cols: usize, out: &mut [[i32; BLOCK]]) {
    for (o, wr) in out.iter_mut().zip(w.chunks_exact(cols)) {
        *o = dot4_i8::<F>(wr, x);
    }
}

/// Sums each of four accumulators in the order of `x86.rs`'s `hsum4_ps` (with `lo` its low and
/// `hi` its high 128-bit halves): `Σa = ((a0+a1)+(a2+a3)) + ((a4+a5)+(a6+a7))`.
#[inline]
#[target_feature(enable = "neon")]
fn hsum4_f32(lo: [float32x4_t; BLOCK], hi: [float32x4_t; BLOCK]) -> [f32; BLOCK] {
    let s = vaddq_f32(pairwise4_f32(lo), pairwise4_f32(hi));
    [
        vgetq_lane_f32::<0>(s),
        vgetq_lane_f32::<1>(s),
        vgetq_lane_f32::<2>(s),
        vgetq_lane_f32::<3>(s),
    ]
}

/// `[(a0+a1)+(a2+a3), (b0+b1)+(b2+b3), (c0+c1)+(c2+c3), (d0+d1)+(d2+d3)]`.
#[inline]
#[target_feature(enable = "neon")]
fn pairwise4_f32(v: [float32x4_t; BLOCK]) -> float32x4_t {
    vpaddq_f32(vpaddq_f32(v[0], v[1]), vpaddq_f32(v[2], v[3]))
}

/// Sums each of `F` (at most [`BLOCK`]) integer accumulators: `[Σa, Σb, …]`, zero for the frames
/// past `F`.
#[inline]
#[target_feature(enable = "neon")]
fn hsum4_i32<const F: usize>(acc: [int32x4_t; F]) -> [i32; BLOCK] {
    let mut a = [vdupq_n_s32(0); BLOCK];
    a[..F].copy_from_slice(&acc);
    let s = vpaddq_s32(vpaddq_s32(a[0], a[1]), vpaddq_s32(a[2], a[3]));
    [
        vgetq_lane_s32::<0>(s),
        vgetq_lane_s32::<1>(s),
        vgetq_lane_s32::<2>(s),
        vgetq_lane_s32::<3>(s),
    ]
}

/// Dot products of one weight row with [`BLOCK`] frames stored back to back in `x`
/// (`x.len() == BLOCK * w.len()`), 8 columns at a time (two 4-lane halves) as in `x86.rs`.
#[inline]
#[target_feature(enable = "neon")]
fn dot4_f32(w: &[f32], x: &[f32]) -> [f32; BLOCK] {
    let n = w.len();
    assert_eq!(x.len(), BLOCK * n, "dot4_f32: frame block size");
    let (wp, xp) = (w.as_ptr(), x.as_ptr());
    let mut lo = [vdupq_n_f32(0.0); BLOCK];
    let mut hi = lo;
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 <= n bounds the two 4-lane loads from `w[i..]` and, for frame j < BLOCK,
        // from `x[j*n + i..]`, since x.len() == BLOCK * n (asserted above).
        unsafe {
            let (wl, wh) = (vld1q_f32(wp.add(i)), vld1q_f32(wp.add(i + 4)));
            for (j, (l, h)) in lo.iter_mut().zip(&mut hi).enumerate() {
                let xj = xp.add(j * n + i);
                *l = vfmaq_f32(*l, wl, vld1q_f32(xj));
                *h = vfmaq_f32(*h, wh, vld1q_f32(xj.add(4)));
            }
        }
        i += 8;
    }
    let mut out = hsum4_f32(lo, hi);
    for (j, o) in out.iter_mut().enumerate() {
        *o += w[i..]
            .iter()
            .zip(&x[j * n + i..(j + 1) * n])
            .map(|(a, b)| a * b)
            .sum::<f32>();
    }
    out
}

/// Exact integer dot products of one int8 weight row with `F` (1..=[`BLOCK`]) int8 frames stored
/// back to back in `x`: 16 columns at a time, both widened to i16, widening multiply-accumulate
/// into i32 lanes. Frames past `F` come out zero (a short last block is not padded).
#[inline]
#[target_feature(enable = "neon")]
fn dot4_i8<const F: usize>(w: &[i8], x: &[i8]) -> [i32; BLOCK] {
    let n = w.len();
    assert!(F <= BLOCK, "dot4_i8: at most {BLOCK} frames");
    assert_eq!(x.len(), F * n, "dot4_i8: frame block size");
    let (wp, xp) = (w.as_ptr(), x.as_ptr());
    let mut acc = [vdupq_n_s32(0); F];
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: i + 16 <= n bounds the 16-byte load from `w[i..]` and, for frame j < F,
        // the 16-byte load from `x[j*n + i..]`, since x.len() == F * n (asserted above).
        unsafe {
            let vw = vld1q_s8(wp.add(i));
            let (wl, wh) = (vmovl_s8(vget_low_s8(vw)), vmovl_high_s8(vw));
            for (j, a) in acc.iter_mut().enumerate() {
                let xb = vld1q_s8(xp.add(j * n + i));
                let (xl, xh) = (vmovl_s8(vget_low_s8(xb)), vmovl_high_s8(xb));
                // |w| <= 128 and |x| <= 128: each product and the i32 sums are exact.
                let s = vmlal_s16(*a, vget_low_s16(wl), vget_low_s16(xl));
                let s = vmlal_high_s16(s, wl, xl);
                let s = vmlal_s16(s, vget_low_s16(wh), vget_low_s16(xh));
                *a = vmlal_high_s16(s, wh, xh);
            }
        }
        i += 16;
    }
    let mut out = hsum4_i32(acc);
    for (j, o) in out.iter_mut().take(F).enumerate() {
        *o += tail_i8(&w[i..], &x[j * n + i..(j + 1) * n]);
    }
    out
}

/// The scalar tail of an int8 dot product.
fn tail_i8(w: &[i8], x: &[i8]) -> i32 {
    w.iter()
        .zip(x)
        .map(|(a, b)| i32::from(*a) * i32::from(*b))
        .sum()
}

fn block_i8_sdot(w: &[i8], x: &[i8], out: &mut [[i32; BLOCK]]) {
    debug_assert!(std::arch::is_aarch64_feature_detected!("dotprod"));
    let cols = w.len() / out.len().max(1);
    if cols == 0 {
        out.fill([0; BLOCK]);
        return;
    }
    assert!(
        x.len() % cols == 0 && x.len() <= BLOCK * cols,
        "block_i8: frame block size"
    );
    // SAFETY: `SDOT` (the only table holding this function) is installed by `plug` only after
    // run-time detection of `dotprod`; x.len() == F * cols for the F each arm names (x holds
    // whole frames, at most BLOCK of them: asserted above).
    unsafe {
        match x.len() / cols {
            0 => out.fill([0; BLOCK]),
            1 => rows_sdot::<1>(w, x, cols, out),
            2 => rows_sdot::<2>(w, x, cols, out),
            3 => rows_sdot::<3>(w, x, cols, out),
            _ => rows_sdot::<4>(w, x, cols, out),
        }
    }
}

/// Every row of `w` (rows of `cols` weights) against the `F` frames in `x`, with `sdot`.
///
/// # Safety
/// The processor must support `dotprod`, `F <= BLOCK`, `cols >= 1` and `x.len() == F * cols`.
#[target_feature(enable = "neon,dotprod")]
unsafe fn rows_sdot<const F: usize>(w: &[i8], x: &[i8], cols: usize, out: &mut [[i32; BLOCK]]) {
    for (o, wr) in out.iter_mut().zip(w.chunks_exact(cols)) {
        // SAFETY: wr holds cols weights and x.len() == F * cols (the caller's contract).
        *o = unsafe { dot4_sdot::<F>(wr, x) };
    }
}

/// `acc[k] += Σ_{i<4} a[4k + i] · b[4k + i]` over i8 lanes: the `sdot` instruction (its
/// intrinsic `vdotq_s32` is not yet stable in Rust).
#[inline]
#[target_feature(enable = "neon,dotprod")]
fn sdot(acc: int32x4_t, a: int8x16_t, b: int8x16_t) -> int32x4_t {
    let mut acc = acc;
    // SAFETY: `sdot` reads and writes only these vector registers; the enclosing function's
    // `dotprod` target feature means callers have checked the processor supports it.
    unsafe {
        std::arch::asm!(
            "sdot {acc:v}.4s, {a:v}.16b, {b:v}.16b",
            acc = inout(vreg) acc,
            a = in(vreg) a,
            b = in(vreg) b,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    acc
}

/// Exact integer dot products of one int8 weight row with `F` (1..=[`BLOCK`]) int8 frames stored
/// back to back in `x`, 16 columns per `sdot`. Frames past `F` come out zero.
///
/// # Safety
/// The processor must support `dotprod`, `F <= BLOCK` and `x.len() == F * w.len()`.
#[target_feature(enable = "neon,dotprod")]
unsafe fn dot4_sdot<const F: usize>(w: &[i8], x: &[i8]) -> [i32; BLOCK] {
    let n = w.len();
    let (wp, xp) = (w.as_ptr(), x.as_ptr());
    let mut acc = [vdupq_n_s32(0); F];
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: i + 16 <= n bounds the 16-byte loads from `w[i..]` and, for frame j < F,
        // from `x[j*n + i..]`, since x.len() == F * n (the caller's contract).
        unsafe {
            let vw = vld1q_s8(wp.add(i));
            for (j, a) in acc.iter_mut().enumerate() {
                *a = sdot(*a, vw, vld1q_s8(xp.add(j * n + i)));
            }
        }
        i += 16;
    }
    let mut out = hsum4_i32(acc);
    for (j, o) in out.iter_mut().take(F).enumerate() {
        *o += tail_i8(&w[i..], &x[j * n + i..(j + 1) * n]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A `rows × cols` weight matrix and a block of [`BLOCK`] frames of `cols` values, cut from
    /// generated values (cycled when short, so every shape gets data).
    fn shape<T: Copy + Default>(v: &[T], rows: usize, cols: usize) -> (Vec<T>, Vec<T>) {
        let mut it = v
            .iter()
            .copied()
            .chain(std::iter::repeat(T::default()))
            .cycle();
        let w = it.by_ref().take(rows * cols).collect();
        let x = it.take(BLOCK * cols).collect();
        (w, x)
    }

    /// `frames` (1..=BLOCK) int8 frames against `rows` int8 weight rows, all within ±127.
    fn check_i8(
        k: &Kernels,
        rows: usize,
        cols: usize,
        frames: usize,
        v: &[i8],
    ) -> Result<(), TestCaseError> {
        let (w, x) = shape(v, rows, cols);
        let w: Vec<i8> = w.iter().map(|&q| q.max(-127)).collect();
        let x: Vec<i8> = x[..frames * cols].iter().map(|&q| q.max(-127)).collect();
        let (mut got, mut want) = (vec![[7; BLOCK]; rows], vec![[0; BLOCK]; rows]);
        (k.block_i8)(&w, &x, &mut got);
        portable::block_i8(&w, &x, &mut want);
        for (g, e) in got.iter().zip(&want) {
            prop_assert_eq!(
                &g[..frames],
                &e[..frames],
                "{} {}x{} {} frames",
                k.name,
                rows,
                cols,
                frames
            );
        }
        Ok(())
    }

    proptest! {
        // Ragged shapes: column counts around and between the 8- and 16-lane steps and past
        // one sdot chunk.
        #[test]
        fn neon_int8_is_exact(rows in 0usize..6, cols in 0usize..80, frames in 1..=BLOCK, v in prop::collection::vec(any::<i8>(), 1..600)) {
            check_i8(&NEON, rows, cols, frames, &v)?;
        }

        #[test]
        fn sdot_int8_is_exact(rows in 0usize..6, cols in prop_oneof![0usize..80, 500usize..1100], frames in 1..=BLOCK, v in prop::collection::vec(any::<i8>(), 1..600)) {
            if std::arch::is_aarch64_feature_detected!("dotprod") {
                check_i8(&SDOT, rows, cols, frames, &v)?;
            }
        }

        #[test]
        fn neon_f32_matches_portable(rows in 0usize..6, cols in 0usize..80, v in prop::collection::vec(-10.0f32..10.0, 1..600)) {
            let (w, x) = shape(&v, rows, cols);
            let (mut got, mut want) = (vec![[0.0; BLOCK]; rows], vec![[0.0; BLOCK]; rows]);
            block_f32(&w, &x, &mut got);
            portable::block_f32(&w, &x, &mut want);
            for (r, (g, e)) in got.iter().zip(&want).enumerate() {
                for j in 0..BLOCK {
                    let wr = &w[r * cols..(r + 1) * cols];
                    let xj = &x[j * cols..(j + 1) * cols];
                    let bound = 1e-5 * (1.0 + wr.iter().zip(xj).map(|(a, b)| (a * b).abs()).sum::<f32>());
                    prop_assert!((g[j] - e[j]).abs() <= bound, "{} vs {} ({}x{})", g[j], e[j], rows, cols);
                }
            }
        }
    }

    #[test]
    fn plug_picks_sdot_exactly_when_the_processor_has_it() {
        let mut k = portable::PORTABLE;
        plug(&mut k);
        let want = if std::arch::is_aarch64_feature_detected!("dotprod") {
            "neon+sdot"
        } else {
            "neon"
        };
        assert_eq!(k.name, want);
    }
}
