//! AVX2 + FMA kernels. Only reachable through [`plug`], which checks the processor supports
//! both features before handing these out.
#![allow(unsafe_code)] // SIMD intrinsics; each call site has its own SAFETY comment.

use super::{BLOCK, Kernels};
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

fn block_i8(w: &[i8], x: &[i16], out: &mut [[i32; BLOCK]]) {
    assert_eq!(x.len() % BLOCK, 0, "block_i8: frame block size");
    if x.is_empty() {
        out.fill([0; BLOCK]);
        return;
    }
    // SAFETY: as in `block_f32`.
    unsafe { block_i8_impl(w, x, out) }
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

/// # Safety
/// AVX2 must be available and `x.len()` a non-zero multiple of `BLOCK`.
#[target_feature(enable = "avx2,fma")]
unsafe fn block_i8_impl(w: &[i8], x: &[i16], out: &mut [[i32; BLOCK]]) {
    // cols >= 1: the caller guarantees a non-empty x.
    for (o, wr) in out.iter_mut().zip(w.chunks_exact(x.len() / BLOCK)) {
        // SAFETY: x.len() == BLOCK * wr.len() and the caller guarantees AVX2.
        *o = unsafe { dot4_i8_impl(wr, x) };
    }
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

/// # Safety
/// AVX2 must be available and `x.len() == BLOCK * w.len()`.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn dot4_i8_impl(w: &[i8], x: &[i16]) -> [i32; BLOCK] {
    let n = w.len();
    let (wp, xp) = (w.as_ptr(), x.as_ptr());
    let mut acc = [_mm256_setzero_si256(); BLOCK];
    let mut i = 0;
    while i + 16 <= n {
        // SAFETY: i + 16 <= n bounds the 16-byte load from `w` and, for frame j < BLOCK, the
        // 16 × i16 load from `x[j*n + i ..]` since x.len() == BLOCK * n.
        unsafe {
            let vw = _mm256_cvtepi8_epi16(_mm_loadu_si128(wp.add(i).cast()));
            for (j, a) in acc.iter_mut().enumerate() {
                let vx = _mm256_loadu_si256(xp.add(j * n + i).cast());
                // Pairs of products of |w| <= 128 and |x| <= 127 sum exactly in i32.
                *a = _mm256_add_epi32(*a, _mm256_madd_epi16(vw, vx));
            }
        }
        i += 16;
    }
    let mut out = [0i32; BLOCK];
    // SAFETY: `out` holds exactly 4 i32 (16 bytes).
    unsafe {
        _mm_storeu_si128(
            out.as_mut_ptr().cast(),
            hsum4_epi32(acc[0], acc[1], acc[2], acc[3]),
        )
    };
    for (j, o) in out.iter_mut().enumerate() {
        *o += w[i..]
            .iter()
            .zip(&x[j * n + i..(j + 1) * n])
            .map(|(a, b)| i32::from(*a) * i32::from(*b))
            .sum::<i32>();
    }
    out
}
