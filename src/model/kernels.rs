//! Dense kernels: `out[t] = W · x[t] + b` for every frame, with f32 or int8 weights.
//!
//! The int8 kernel keeps per-output-row scales (symmetric, per-channel quantization) and quantizes
//! each input frame on the fly to int8 with its own scale, accumulating exact integer dot products
//! in i32; the result is `scale_w[row] * scale_x[t] * Σ q_w q_x + b[row]`.
//!
//! The dot products come from a table chosen once at run time ([`kernels`]): portable versions
//! (independent accumulators over fixed-size chunks, which compilers vectorize for the baseline
//! target) overlaid by AVX2/FMA versions on x86-64 processors that have them. Every fast kernel is
//! tested against the portable one.

/// Weights of a dense layer, `rows × cols`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub enum Weights {
    /// Plain f32 weights.
    F32(Vec<f32>),
    /// int8 weights with one f32 scale per row: `w[r][c] ≈ q[r][c] * scale[r]`.
    Int8 {
        /// Quantized weights.
        q: Vec<i8>,
        /// Per-row scales.
        scale: Vec<f32>,
    },
}

/// A dense layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Dense {
    /// Output size.
    pub rows: usize,
    /// Input size.
    pub cols: usize,
    /// The weight matrix.
    pub weights: Weights,
    /// Bias, one per row.
    pub bias: Vec<f32>,
}

const LANES: usize = 16;

impl Dense {
    /// Applies the layer to `frames` row-major inputs of `cols` values, writing `frames × rows`.
    pub fn apply(&self, input: &[f32], output: &mut Vec<f32>) {
        let frames = input.len() / self.cols;
        output.clear();
        output.resize(frames * self.rows, 0.0);
        match &self.weights {
            Weights::F32(w) => {
                let dot_f32 = kernels().dot_f32;
                for (x, out) in input
                    .chunks_exact(self.cols)
                    .zip(output.chunks_exact_mut(self.rows))
                {
                    for ((o, wr), b) in out
                        .iter_mut()
                        .zip(w.chunks_exact(self.cols))
                        .zip(&self.bias)
                    {
                        *o = dot_f32(wr, x) + b;
                    }
                }
            }
            Weights::Int8 { q, scale } => {
                let dot_i8 = kernels().dot_i8;
                let mut xq = vec![0i8; self.cols];
                for (x, out) in input
                    .chunks_exact(self.cols)
                    .zip(output.chunks_exact_mut(self.rows))
                {
                    let x_scale = quantize_frame(x, &mut xq);
                    for (((o, wr), s), b) in out
                        .iter_mut()
                        .zip(q.chunks_exact(self.cols))
                        .zip(scale)
                        .zip(&self.bias)
                    {
                        *o = dot_i8(wr, &xq) as f32 * s * x_scale + b;
                    }
                }
            }
        }
    }
}

/// Quantizes `x` symmetrically to int8, returning the scale (0 for an all-zero frame).
pub fn quantize_frame(x: &[f32], out: &mut [i8]) -> f32 {
    let max = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if max == 0.0 || !max.is_finite() {
        out.iter_mut().for_each(|q| *q = 0);
        return 0.0;
    }
    let inv = 127.0 / max;
    for (q, v) in out.iter_mut().zip(x) {
        *q = (v * inv).round().clamp(-127.0, 127.0) as i8;
    }
    max / 127.0
}

/// The dot-product kernels in use.
#[derive(Debug, Clone, Copy)]
pub struct Kernels {
    /// Name of the instruction set, for reports.
    pub name: &'static str,
    /// f32 dot product of two equal-length slices.
    pub dot_f32: fn(&[f32], &[f32]) -> f32,
    /// Exact int8 dot product of two equal-length slices.
    pub dot_i8: fn(&[i8], &[i8]) -> i32,
}

/// The portable kernels.
pub const PORTABLE: Kernels = Kernels {
    name: "portable",
    dot_f32,
    dot_i8,
};

/// The fastest kernels this processor supports, detected once.
pub fn kernels() -> &'static Kernels {
    static CHOSEN: std::sync::OnceLock<Kernels> = std::sync::OnceLock::new();
    CHOSEN.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return avx2::KERNELS;
        }
        PORTABLE
    })
}

/// f32 dot product with independent accumulators (vectorizes well).
pub fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; LANES];
    let chunks = a.len() / LANES * LANES;
    for (ca, cb) in a[..chunks]
        .chunks_exact(LANES)
        .zip(b[..chunks].chunks_exact(LANES))
    {
        for i in 0..LANES {
            acc[i] += ca[i] * cb[i];
        }
    }
    let mut sum: f32 = acc.iter().sum();
    for (x, y) in a[chunks..].iter().zip(&b[chunks..]) {
        sum += x * y;
    }
    sum
}

/// Exact int8 dot product accumulated in i32.
pub fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    let mut acc = [0i32; LANES];
    let chunks = a.len() / LANES * LANES;
    for (ca, cb) in a[..chunks]
        .chunks_exact(LANES)
        .zip(b[..chunks].chunks_exact(LANES))
    {
        for i in 0..LANES {
            acc[i] += i32::from(ca[i]) * i32::from(cb[i]);
        }
    }
    let mut sum: i32 = acc.iter().sum();
    for (x, y) in a[chunks..].iter().zip(&b[chunks..]) {
        sum += i32::from(*x) * i32::from(*y);
    }
    sum
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! AVX2 + FMA dot products. Only reachable through [`super::kernels`], which checks the
    //! processor supports both features before handing these out.
    use std::arch::x86_64::*;

    pub const KERNELS: super::Kernels = super::Kernels {
        name: "avx2+fma",
        dot_f32,
        dot_i8,
    };

    fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: `KERNELS` is only selected after runtime detection of AVX2 and FMA.
        unsafe { dot_f32_impl(a, b) }
    }

    fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
        // SAFETY: `KERNELS` is only selected after runtime detection of AVX2 and FMA.
        unsafe { dot_i8_impl(a, b) }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn dot_f32_impl(a: &[f32], b: &[f32]) -> f32 {
        let n = a.len().min(b.len());
        let mut acc0 = _mm256_setzero_ps();
        let mut acc1 = _mm256_setzero_ps();
        let mut i = 0;
        while i + 16 <= n {
            // SAFETY: i + 16 <= n bounds both 8-lane unaligned loads in both slices.
            unsafe {
                acc0 = _mm256_fmadd_ps(
                    _mm256_loadu_ps(a.as_ptr().add(i)),
                    _mm256_loadu_ps(b.as_ptr().add(i)),
                    acc0,
                );
                acc1 = _mm256_fmadd_ps(
                    _mm256_loadu_ps(a.as_ptr().add(i + 8)),
                    _mm256_loadu_ps(b.as_ptr().add(i + 8)),
                    acc1,
                );
            }
            i += 16;
        }
        let acc = _mm256_add_ps(acc0, acc1);
        let mut lanes = [0.0f32; 8];
        // SAFETY: `lanes` holds exactly 8 f32.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), acc) };
        let mut sum: f32 = lanes.iter().sum();
        for j in i..n {
            sum += a[j] * b[j];
        }
        sum
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn dot_i8_impl(a: &[i8], b: &[i8]) -> i32 {
        let n = a.len().min(b.len());
        let mut acc = _mm256_setzero_si256();
        let mut i = 0;
        while i + 16 <= n {
            // SAFETY: i + 16 <= n bounds both 16-byte unaligned loads in both slices.
            unsafe {
                let va = _mm256_cvtepi8_epi16(_mm_loadu_si128(a.as_ptr().add(i).cast()));
                let vb = _mm256_cvtepi8_epi16(_mm_loadu_si128(b.as_ptr().add(i).cast()));
                // 16 products of |i8| <= 128 summed in pairs fit i32 exactly.
                acc = _mm256_add_epi32(acc, _mm256_madd_epi16(va, vb));
            }
            i += 16;
        }
        let mut lanes = [0i32; 8];
        // SAFETY: `lanes` holds exactly 8 i32 (32 bytes).
        unsafe { _mm256_storeu_si256(lanes.as_mut_ptr().cast(), acc) };
        let mut sum: i32 = lanes.iter().sum();
        for j in i..n {
            sum += i32::from(a[j]) * i32::from(b[j]);
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive_dot(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    proptest! {
        #[test]
        fn dot_f32_matches_naive(v in prop::collection::vec((-10.0f32..10.0, -10.0f32..10.0), 0..100)) {
            let (a, b): (Vec<f32>, Vec<f32>) = v.into_iter().unzip();
            let tolerance = 1e-4 * (1.0 + a.iter().zip(&b).map(|(x, y)| (x * y).abs()).sum::<f32>());
            prop_assert!((dot_f32(&a, &b) - naive_dot(&a, &b)).abs() <= tolerance);
        }

        #[test]
        fn selected_kernels_match_portable(
            f in prop::collection::vec((-10.0f32..10.0, -10.0f32..10.0), 0..300),
            q in prop::collection::vec((any::<i8>(), any::<i8>()), 0..300),
        ) {
            let k = kernels();
            let (a, b): (Vec<f32>, Vec<f32>) = f.into_iter().unzip();
            let tolerance = 1e-4 * (1.0 + a.iter().zip(&b).map(|(x, y)| (x * y).abs()).sum::<f32>());
            prop_assert!(((k.dot_f32)(&a, &b) - dot_f32(&a, &b)).abs() <= tolerance, "{}", k.name);
            let (qa, qb): (Vec<i8>, Vec<i8>) = q.into_iter().unzip();
            prop_assert_eq!((k.dot_i8)(&qa, &qb), dot_i8(&qa, &qb));
        }

        #[test]
        fn dot_i8_is_exact(v in prop::collection::vec((any::<i8>(), any::<i8>()), 0..200)) {
            let (a, b): (Vec<i8>, Vec<i8>) = v.into_iter().unzip();
            let expected: i64 = a.iter().zip(&b).map(|(x, y)| i64::from(*x) * i64::from(*y)).sum();
            prop_assert_eq!(i64::from(dot_i8(&a, &b)), expected);
        }

        #[test]
        fn int8_dense_tracks_f32(
            w in prop::collection::vec(-1.0f32..1.0, 24),
            x in prop::collection::vec(-3.0f32..3.0, 16),
        ) {
            let (rows, cols) = (3, 8);
            let mut q = vec![0i8; rows * cols];
            let mut scale = vec![0.0; rows];
            for r in 0..rows {
                scale[r] = quantize_frame(&w[r * cols..(r + 1) * cols], &mut q[r * cols..(r + 1) * cols]);
            }
            let bias = vec![0.5, -0.25, 0.0];
            let f = Dense { rows, cols, weights: Weights::F32(w.clone()), bias: bias.clone() };
            let i = Dense { rows, cols, weights: Weights::Int8 { q, scale }, bias };
            let (mut of, mut oi) = (Vec::new(), Vec::new());
            f.apply(&x, &mut of);
            i.apply(&x, &mut oi);
            // Two roundings of at most half a step each, over 8 products.
            let bound = 8.0 * (1.0 / 127.0) * 3.0 * 1.0 + 1e-4;
            for (a, b) in of.iter().zip(&oi) {
                prop_assert!((a - b).abs() <= bound, "{a} vs {b}");
            }
        }
    }
}
