//! AVX2 + FMA kernels. Only reachable through [`plug`], which checks the processor supports
//! both features before handing these out.
#![allow(unsafe_code)] // SIMD intrinsics; each call site has its own SAFETY comment.

use super::{BLOCK, INT8_LEVEL, Kernels};
use std::arch::x86_64::*;

/// Overrides the entries of `kernels` this processor can run faster (AVX2 and FMA both needed).
pub fn plug(kernels: &mut Kernels) {
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        *kernels = KERNELS;
    }
}

/// The AVX2 + FMA kernels (every entry).
pub const KERNELS: Kernels = Kernels {
    name: "avx2+fma",
    block_f32,
    block_i8,
    quantize,
    pool_step,
};

fn block_f32(w: &[f32], x: &[f32], out: &mut [[f32; BLOCK]]) {
    assert_eq!(x.len() % BLOCK, 0, "block_f32: frame block size");
    if x.is_empty() {
        out.fill([0.0; BLOCK]);
        return;
    }
    // SAFETY: `KERNELS` is only selected after runtime detection of AVX2 and FMA; x holds
    // BLOCK non-empty frames (checked above).
    unsafe { block_f32_impl(w, x, out) }
}

fn block_i8(w: &[i8], x: &[i8], out: &mut [[i32; BLOCK]]) {
    let cols = w.len() / out.len().max(1);
    if cols == 0 {
        out.fill([0; BLOCK]);
        return;
    }
    assert_eq!(w.len(), out.len() * cols, "block_i8: weight shape");
    assert_eq!(x.len() % cols, 0, "block_i8: frame size");
    debug_assert!(
        !w.contains(&i8::MIN) && !x.contains(&i8::MIN),
        "block_i8: values within ±127"
    );
    // SAFETY: as in `block_f32`; every row has `cols` weights and x holds whole frames of `cols`.
    unsafe {
        match x.len() / cols {
            0 => out.fill([0; BLOCK]),
            1 => block_i8_impl::<1>(w, x, cols, out),
            2 => block_i8_impl::<2>(w, x, cols, out),
            3 => block_i8_impl::<3>(w, x, cols, out),
            4 => block_i8_impl::<4>(w, x, cols, out),
            n => panic!("block_i8: {n} frames, at most {BLOCK}"),
        }
    }
}

fn quantize(x: &[f32], out: &mut [i8]) -> f32 {
    assert!(out.len() >= x.len(), "quantize: output too short");
    // SAFETY: `KERNELS` is only selected after runtime detection of AVX2 and FMA; out holds at
    // least x.len() bytes (checked above).
    unsafe { quantize_impl(x, out) }
}

/// # Safety
/// AVX2 and FMA must be available and `x.len()` a non-zero multiple of `BLOCK`.
#[target_feature(enable = "avx2,fma")]
unsafe fn block_f32_impl(w: &[f32], x: &[f32], out: &mut [[f32; BLOCK]]) {
    // cols >= 1: the caller guarantees a non-empty x.
    for (o, wr) in out.iter_mut().zip(w.chunks_exact(x.len() / BLOCK)) {
        // SAFETY: x.len() == BLOCK * wr.len() and the caller guarantees AVX2/FMA.
        *o = unsafe { dot4_f32_impl(wr, x) };
    }
}

/// Two rows at a time (each frame's activations are loaded once for both), the odd last row
/// paired with itself.
///
/// # Safety
/// AVX2 must be available, `cols >= 1`, `x.len() == F * cols`, `w.len() == out.len() * cols`.
#[target_feature(enable = "avx2,fma")]
unsafe fn block_i8_impl<const F: usize>(w: &[i8], x: &[i8], cols: usize, out: &mut [[i32; BLOCK]]) {
    let mut pairs = out.chunks_exact_mut(2);
    for (o, wr) in (&mut pairs).zip(w.chunks_exact(2 * cols)) {
        let (w0, w1) = wr.split_at(cols);
        // SAFETY: x.len() == F * cols, both rows hold cols weights, and the caller guarantees AVX2.
        let [a, b] = unsafe { dots2_i8_impl::<F>(w0, w1, x) };
        o[0] = a;
        o[1] = b;
    }
    if let [last] = pairs.into_remainder() {
        let wr = &w[w.len() - cols..];
        // SAFETY: as above.
        *last = unsafe { dots2_i8_impl::<F>(wr, wr, x) }[0];
    }
}

/// # Safety
/// AVX2 must be available and `out.len() >= x.len()`.
#[target_feature(enable = "avx2,fma")]
unsafe fn quantize_impl(x: &[f32], out: &mut [i8]) -> f32 {
    // The portable loop, inlined here, vectorizes with AVX2 (a maximum does not depend on order).
    let max = super::max_abs(x);
    if max == 0.0 || !max.is_finite() {
        out[..x.len()].fill(0);
        return 0.0;
    }
    let inv = INT8_LEVEL / max;
    let (vinv, level) = (_mm256_set1_ps(inv), _mm256_set1_epi32(INT8_LEVEL as i32));
    let neg_level = _mm256_set1_epi32(-(INT8_LEVEL as i32));
    // The packs below interleave 128-bit lanes; this puts the 32 bytes back in order.
    let order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    let mut i = 0;
    while i + 32 <= x.len() {
        let mut q = [_mm256_setzero_si256(); 4];
        for (k, q) in q.iter_mut().enumerate() {
            // SAFETY: i + 32 <= x.len() bounds the 8-lane load at i + 8k.
            let v = _mm256_mul_ps(unsafe { _mm256_loadu_ps(x.as_ptr().add(i + 8 * k)) }, vinv);
            // NaN → 0 (as `quantize_one`); rounding is the default nearest-even, as `round_small`.
            let v = _mm256_and_ps(v, _mm256_cmp_ps::<_CMP_ORD_Q>(v, v));
            *q = _mm256_max_epi32(_mm256_min_epi32(_mm256_cvtps_epi32(v), level), neg_level);
        }
        let words = [
            _mm256_packs_epi32(q[0], q[1]),
            _mm256_packs_epi32(q[2], q[3]),
        ];
        let bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(words[0], words[1]), order);
        // SAFETY: i + 32 <= x.len() <= out.len() bounds the 32-byte store.
        unsafe { _mm256_storeu_si256(out.as_mut_ptr().add(i).cast(), bytes) };
        i += 32;
    }
    for (q, v) in out[i..].iter_mut().zip(&x[i..]) {
        *q = super::quantize_one(v * inv);
    }
    max / INT8_LEVEL
}

fn pool_step(gates: &[f32], c: &mut [f32], h: &mut [f32]) {
    // SAFETY: `KERNELS` is only selected after runtime detection of AVX2 and FMA.
    unsafe { pool_step_impl(gates, c, h) }
}

/// The portable loop, compiled with AVX2/FMA enabled so it vectorizes 8 wide.
#[target_feature(enable = "avx2,fma")]
fn pool_step_impl(gates: &[f32], c: &mut [f32], h: &mut [f32]) {
    super::pool_step_body(gates, c, h);
}

/// Sums each of four 8-lane accumulators: `[Σa, Σb, Σc, Σd]`.
#[target_feature(enable = "avx2,fma")]
fn hsum4_ps(a: __m256, b: __m256, c: __m256, d: __m256) -> __m128 {
    let s = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1))
}

/// Integer version of [`hsum4_ps`].
#[target_feature(enable = "avx2,fma")]
fn hsum4_epi32(a: __m256i, b: __m256i, c: __m256i, d: __m256i) -> __m128i {
    let s = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
    _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1))
}

/// # Safety
/// AVX2 and FMA must be available and `x.len() == BLOCK * w.len()`.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot4_f32_impl(w: &[f32], x: &[f32]) -> [f32; BLOCK] {
    let n = w.len();
    let (wp, xp) = (w.as_ptr(), x.as_ptr());
    let mut acc = [_mm256_setzero_ps(); BLOCK];
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: i + 8 <= n bounds the 8-lane load from `w` and, for frame j < BLOCK, from
        // `x[j*n + i ..]` since x.len() == BLOCK * n.
        unsafe {
            let vw = _mm256_loadu_ps(wp.add(i));
            for (j, a) in acc.iter_mut().enumerate() {
                *a = _mm256_fmadd_ps(vw, _mm256_loadu_ps(xp.add(j * n + i)), *a);
            }
        }
        i += 8;
    }
    let mut out = [0.0f32; BLOCK];
    // SAFETY: `out` holds exactly 4 f32.
    unsafe { _mm_storeu_ps(out.as_mut_ptr(), hsum4_ps(acc[0], acc[1], acc[2], acc[3])) };
    for (j, o) in out.iter_mut().enumerate() {
        *o += w[i..]
            .iter()
            .zip(&x[j * n + i..(j + 1) * n])
            .map(|(a, b)| a * b)
            .sum::<f32>();
    }
    out
}

/// Dot products of two weight rows with the `F` frames in `x`, exact in i32: 32 byte pairs per
/// `vpmaddubsw`, which multiplies unsigned by signed bytes, so each frame's sign moves onto the
/// weights (`vpsignb`) and its magnitude is the unsigned operand; with every value within ±127 a
/// pair sum is at most 2·127² < 2¹⁵, below the instruction's 16-bit saturation. `vpmaddwd` with
/// ones widens the pairs into i32 lanes.
///
/// # Safety
/// AVX2 must be available, `w0.len() == w1.len()`, `x.len() == F * w0.len()`, `F <= BLOCK`, and
/// no value is −128.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn dots2_i8_impl<const F: usize>(w0: &[i8], w1: &[i8], x: &[i8]) -> [[i32; BLOCK]; 2] {
    let n = w0.len();
    let (p0, p1, xp) = (w0.as_ptr(), w1.as_ptr(), x.as_ptr());
    let ones = _mm256_set1_epi16(1);
    // acc[frame][row]
    let mut acc = [[_mm256_setzero_si256(); 2]; BLOCK];
    let mut i = 0;
    while i + 32 <= n {
        // SAFETY: i + 32 <= n bounds the 32-byte loads from both rows and, for frame j < F, from
        // `x[j*n + i ..]` since x.len() == F * n.
        unsafe {
            let (v0, v1) = (
                _mm256_loadu_si256(p0.add(i).cast()),
                _mm256_loadu_si256(p1.add(i).cast()),
            );
            for (j, a) in acc.iter_mut().enumerate().take(F) {
                let vx = _mm256_loadu_si256(xp.add(j * n + i).cast());
                let magnitude = _mm256_abs_epi8(vx);
                let pairs0 = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(v0, vx));
                let pairs1 = _mm256_maddubs_epi16(magnitude, _mm256_sign_epi8(v1, vx));
                a[0] = _mm256_add_epi32(a[0], _mm256_madd_epi16(pairs0, ones));
                a[1] = _mm256_add_epi32(a[1], _mm256_madd_epi16(pairs1, ones));
            }
        }
        i += 32;
    }
    if i + 16 <= n {
        // 16 columns widened to i16 (e.g. the 22 inputs of a first layer).
        // SAFETY: i + 16 <= n bounds the 16-byte loads as above.
        unsafe {
            let v0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(p0.add(i).cast()));
            let v1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(p1.add(i).cast()));
            for (j, a) in acc.iter_mut().enumerate().take(F) {
                let vx = _mm256_cvtepi8_epi16(_mm_loadu_si128(xp.add(j * n + i).cast()));
                a[0] = _mm256_add_epi32(a[0], _mm256_madd_epi16(v0, vx));
                a[1] = _mm256_add_epi32(a[1], _mm256_madd_epi16(v1, vx));
            }
        }
        i += 16;
    }
    let mut out = [[0i32; BLOCK]; 2];
    for (r, (o, w)) in out.iter_mut().zip([w0, w1]).enumerate() {
        let sums = hsum4_epi32(acc[0][r], acc[1][r], acc[2][r], acc[3][r]);
        // SAFETY: `o` holds exactly 4 i32 (16 bytes).
        unsafe { _mm_storeu_si128(o.as_mut_ptr().cast(), sums) };
        for (j, o) in o.iter_mut().enumerate().take(F) {
            *o += w[i..]
                .iter()
                .zip(&x[j * n + i..(j + 1) * n])
                .map(|(a, b)| i32::from(*a) * i32::from(*b))
                .sum::<i32>();
        }
    }
    out
}
