//! Dense kernels: `out[t] = W · x[t] + b` for every frame, with f32 or int8 weights, and the
//! QRNN's per-frame gate activations + fo-pooling step.
//!
//! The int8 kernel keeps per-output-row scales (symmetric, per-channel quantization) and quantizes
//! each input frame on the fly to int8 with its own scale, accumulating exact integer dot
//! products in i32; the result is `scale_w[row] * scale_x[t] * Σ q_w q_x + b[row]`. Weights and
//! activations are both within ±127 (the model loader refuses a weight of −128), so a pair of
//! products never exceeds 2·127² < 2¹⁵: x86 multiplies 32 byte pairs per `vpmaddubsw` without its
//! 16-bit saturation ever being reached (`x86.rs`).
//!
//! Frames are processed in blocks of up to [`BLOCK`]: each weight row is loaded once per block and
//! multiplied with all of its frames, so the weights stream through the cache `frames / BLOCK`
//! times instead of `frames` times, and one horizontal reduction serves four dot products. The
//! int8 kernels take a last block of fewer frames as it is (no padding frames are computed).
//!
//! The inner loops come from a table chosen once at run time ([`kernels`]), one file per
//! instruction set: `portable.rs` (independent accumulators over fixed-size chunks, which
//! compilers vectorize for the baseline target), overlaid by `x86.rs` (AVX2/FMA, on x86-64
//! processors that have them) or `aarch64.rs` (NEON, with `sdot` on processors with `dotprod`).
//! Every fast kernel is tested against the portable one. The AVX2 and NEON f32 kernels share one
//! accumulation order (8 lanes, fused multiply-add, the same reduction), so they give the same
//! bits; int8 dot products are exact everywhere. 32-bit ARM and x86-64 without AVX2 run the
//! portable kernels, whose f32 sums are ordered differently (within the tests' tolerance).

#[cfg(target_arch = "aarch64")]
mod aarch64;
mod portable;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use portable::PORTABLE;

/// Independent accumulators per loop (a multiple of every SIMD width the compiler may use).
const LANES: usize = 16;

/// Frames per block in [`Dense::apply`].
pub const BLOCK: usize = 4;

/// Largest magnitude of a quantized weight or activation: both are within ±127.
pub const INT8_LEVEL: f32 = 127.0;

/// Weights of a dense layer, `rows × cols`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub enum Weights {
    /// Plain f32 weights.
    F32(Vec<f32>),
    /// int8 weights with one f32 scale per row: `w[r][c] ≈ q[r][c] * scale[r]`, every `q` within
    /// ±127 (the kernels rely on it; the model loader checks it).
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

impl Dense {
    /// Applies the layer to `frames` row-major inputs of `cols` values, writing `frames × rows`.
    pub fn apply(&self, input: &[f32], output: &mut Vec<f32>) {
        let (rows, cols) = (self.rows, self.cols);
        output.clear();
        output.resize(input.len() / cols * rows, 0.0);
        let k = kernels();
        match &self.weights {
            Weights::F32(w) => {
                let mut block = vec![0.0f32; BLOCK * cols];
                let mut dots = vec![[0.0f32; BLOCK]; rows];
                for (frames, out) in input
                    .chunks(BLOCK * cols)
                    .zip(output.chunks_mut(BLOCK * rows))
                {
                    block[..frames.len()].copy_from_slice(frames);
                    block[frames.len()..].fill(0.0);
                    (k.block_f32)(w, &block, &mut dots);
                    for (j, out) in out.chunks_exact_mut(rows).enumerate() {
                        for ((o, d), b) in out.iter_mut().zip(&dots).zip(&self.bias) {
                            *o = d[j] + b;
                        }
                    }
                }
            }
            Weights::Int8 { q, scale } => {
                let mut block = vec![0i8; BLOCK * cols];
                let mut x_scale = [0.0f32; BLOCK];
                let mut dots = vec![[0i32; BLOCK]; rows];
                for (frames, out) in input
                    .chunks(BLOCK * cols)
                    .zip(output.chunks_mut(BLOCK * rows))
                {
                    let block = &mut block[..frames.len()];
                    for ((x, xq), s) in frames
                        .chunks_exact(cols)
                        .zip(block.chunks_exact_mut(cols))
                        .zip(&mut x_scale)
                    {
                        *s = (k.quantize)(x, xq);
                    }
                    (k.block_i8)(q, block, &mut dots);
                    for ((j, out), xs) in out.chunks_exact_mut(rows).enumerate().zip(x_scale) {
                        for (((o, d), ws), b) in
                            out.iter_mut().zip(&dots).zip(scale).zip(&self.bias)
                        {
                            *o = d[j] as f32 * ws * xs + b;
                        }
                    }
                }
            }
        }
    }
}

/// The largest `|v|` of `x`, NaN entries ignored.
#[inline(always)]
fn max_abs(x: &[f32]) -> f32 {
    let mut lanes = [0.0f32; LANES];
    for chunk in x.chunks(LANES) {
        for (m, v) in lanes.iter_mut().zip(chunk) {
            *m = m.max(v.abs());
        }
    }
    lanes.iter().fold(0.0f32, |m, v| m.max(*v))
}

/// Quantizes one activation already multiplied by `INT8_LEVEL / max`: rounded to nearest (ties
/// to even) and clamped to ±[`INT8_LEVEL`]; NaN gives 0 (`as` turns NaN into 0).
#[inline(always)]
fn quantize_one(scaled: f32) -> i8 {
    round_small(scaled).clamp(-INT8_LEVEL, INT8_LEVEL) as i8
}

/// Quantizes the frame `x` symmetrically to int8 values within ±127, writing `x.len()` values of
/// `out` and returning the scale (`x[i] ≈ out[i] · scale`): 0, with every value 0, for an
/// all-zero frame or one with an infinite value; NaN entries are ignored by the scale and
/// quantize to 0.
pub fn quantize_frame(x: &[f32], out: &mut [i8]) -> f32 {
    let max = max_abs(x);
    if max == 0.0 || !max.is_finite() {
        out.iter_mut().for_each(|q| *q = 0);
        return 0.0;
    }
    let inv = INT8_LEVEL / max;
    for (q, v) in out.iter_mut().zip(x) {
        *q = quantize_one(v * inv);
    }
    max / INT8_LEVEL
}

/// Rounds to the nearest integer (ties to even) for |v| < 2²², without a libm call: adding and
/// subtracting 1.5·2²³ leaves no fraction bits, and the expression vectorizes.
#[inline(always)]
fn round_small(v: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0;
    (v + MAGIC) - MAGIC
}

/// tanh as the 13/6 rational approximation Eigen and ONNX Runtime use for float (exact to a few
/// ulp on [−9, 9], ±1 outside): no libm call and branch-free, so loops over it vectorize.
#[inline(always)]
pub fn fast_tanh(x: f32) -> f32 {
    const ALPHA: [f32; 7] = [
        4.893_524_6e-3,
        6.372_619_5e-4,
        1.485_722_35e-5,
        5.122_297_3e-8,
        -8.604_672e-11,
        2.000_188e-13,
        -2.760_768_4e-16,
    ];
    const BETA: [f32; 4] = [4.893_525e-3, 2.268_434_7e-3, 1.185_347_1e-4, 1.198_258_4e-6];
    // NaN passes through `clamp`.
    let x = x.clamp(-9.0, 9.0);
    let x2 = x * x;
    let p = ALPHA.iter().rev().fold(0.0, |acc, a| acc * x2 + a) * x;
    let q = BETA.iter().rev().fold(0.0, |acc, b| acc * x2 + b);
    p / q
}

/// The logistic function via [`fast_tanh`]: σ(x) = ½ + ½·tanh(x/2).
#[inline(always)]
pub fn fast_sigmoid(x: f32) -> f32 {
    0.5 + 0.5 * fast_tanh(0.5 * x)
}

/// One fo-pooling step over `n` units: `gates` holds the pre-activations `[z | f | o]` (3·n),
/// `c` the cell state (updated in place), `h` receives `o·c`.
#[inline(always)]
fn pool_step_body(gates: &[f32], c: &mut [f32], h: &mut [f32]) {
    let n = c.len();
    let (z, rest) = gates.split_at(n);
    let (f, o) = rest.split_at(n);
    for ((((c, h), z), f), o) in c.iter_mut().zip(h.iter_mut()).zip(z).zip(f).zip(o) {
        let z = fast_tanh(*z);
        let f = fast_sigmoid(*f);
        *c = f * *c + (1.0 - f) * z;
        *h = fast_sigmoid(*o) * *c;
    }
}

/// The inner loops in use.
#[derive(Debug, Clone, Copy)]
pub struct Kernels {
    /// Name of the instruction set, for reports.
    pub name: &'static str,
    /// `out[r][j] = w[r] · x[j]`: every row of the row-major matrix `w` (`out.len()` rows) times
    /// [`BLOCK`] frames stored back to back in `x` (`x.len() == BLOCK * cols`).
    pub block_f32: fn(&[f32], &[f32], &mut [[f32; BLOCK]]),
    /// Exact integer version of `block_f32` for 1..=[`BLOCK`] frames: `out[r][j] = Σ w[r][c]·x[j][c]`
    /// for weights and activations within ±127 (−128 is outside the contract); `x.len()` is
    /// `frames × cols` with `cols = w.len() / out.len()`; entries `j >= frames` of `out` are
    /// unspecified.
    pub block_i8: fn(&[i8], &[i8], &mut [[i32; BLOCK]]),
    /// [`quantize_frame`]: the same values and scale on every table.
    pub quantize: fn(&[f32], &mut [i8]) -> f32,
    /// One QRNN fo-pooling step (see `pool_step_body`).
    pub pool_step: fn(&[f32], &mut [f32], &mut [f32]),
}

/// The fastest kernels this processor supports, detected once: the portable table, then each
/// architecture's module overrides the entries it has faster versions of (as `sonos/tract`'s
/// `linalg` does with `plug`).
pub fn kernels() -> &'static Kernels {
    static CHOSEN: std::sync::OnceLock<Kernels> = std::sync::OnceLock::new();
    CHOSEN.get_or_init(|| {
        #[allow(unused_mut)] // only architectures with fast kernels change it
        let mut chosen = PORTABLE;
        #[cfg(target_arch = "x86_64")]
        x86::plug(&mut chosen);
        #[cfg(target_arch = "aarch64")]
        aarch64::plug(&mut chosen);
        chosen
    })
}

#[cfg(test)]
mod tests {
    use super::portable::{block_f32, block_i8, dot4_f32, dot4_i8, pool_step};
    use super::*;
    use proptest::prelude::*;

    /// The values with −128 moved to −127: the kernels' int8 contract.
    fn symmetric(v: &[i8]) -> Vec<i8> {
        v.iter().map(|&q| q.max(-127)).collect()
    }

    fn naive_dot(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    fn tolerance(a: &[f32], b: &[f32]) -> f32 {
        1e-4 * (1.0 + a.iter().zip(b).map(|(x, y)| (x * y).abs()).sum::<f32>())
    }

    /// A weight row of `n` values and a block of [`BLOCK`] frames of `n` values, from one flat
    /// generated vector (so shrinking keeps the shapes consistent).
    fn split_block<T: Copy>(v: &[T]) -> (Vec<T>, Vec<T>) {
        let n = v.len() / (BLOCK + 1);
        (v[..n].to_vec(), v[n..n * (BLOCK + 1)].to_vec())
    }

    #[test]
    fn fast_tanh_and_sigmoid_match_libm() {
        let mut worst = (0.0f32, 0.0f32);
        for i in -200_000..=200_000 {
            let x = i as f32 * 1e-4; // -20 ..= 20 in steps of 1e-4
            worst.0 = worst.0.max((fast_tanh(x) - x.tanh()).abs());
            worst.1 = worst
                .1
                .max((fast_sigmoid(x) - 1.0 / (1.0 + (-x).exp())).abs());
        }
        assert!(worst.0 < 1e-6 && worst.1 < 1e-6, "max errors {worst:?}");
        assert_eq!(fast_tanh(f32::INFINITY), 1.0);
        assert_eq!(fast_tanh(f32::NEG_INFINITY), -1.0);
        assert!(fast_tanh(f32::NAN).is_nan());
        assert_eq!(fast_tanh(0.0), 0.0);
    }

    #[test]
    fn quantize_frame_rounds_to_nearest_and_keeps_the_scale() {
        let mut q = [0i8; 6];
        // 1 → 63.5 → 64 and 63.5/127 · 2 → 63.5 → 64 (ties to even); 0.5 → 31.75 → 32.
        let s = quantize_frame(&[1.0, -2.0, 0.5, 0.0, 2.0 * 63.5 / 127.0, 2.0], &mut q);
        assert_eq!(s, 2.0 / 127.0);
        assert_eq!(q, [64, -127, 32, 0, 64, 127]);
        assert_eq!(quantize_frame(&[0.0, 0.0], &mut q[..2]), 0.0);
        assert_eq!(q[..2], [0, 0]);
        // A NaN entry is ignored by the scale and quantizes to 0 instead of poisoning the frame.
        assert_eq!(quantize_frame(&[f32::NAN, 1.0], &mut q[..2]), 1.0 / 127.0);
        assert_eq!(q[..2], [0, 127]);
        // An infinite value leaves no usable scale: the frame reads as zeros.
        assert_eq!(quantize_frame(&[f32::INFINITY, 1.0], &mut q[..2]), 0.0);
        assert_eq!(q[..2], [0, 0]);
    }

    /// Frames of every length around the 8- and 32-lane steps, with ties, NaN, huge and tiny
    /// values: the selected table's quantizer writes the portable bytes and scale.
    #[test]
    fn selected_quantize_matches_portable() {
        let k = kernels();
        let mut seed = 0x2545_f491_u32;
        for len in 0..100 {
            for case in 0..20 {
                let x: Vec<f32> = (0..len)
                    .map(|i| {
                        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        let u = (seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0;
                        match (case, i % 7) {
                            (1, 0) => f32::NAN,
                            (2, _) => (u * 127.0).round() / 127.0 + 0.5 / 127.0, // ties
                            (3, _) => u * 1e30,
                            (4, _) => u * 1e-30,
                            _ => u * (case as f32 + 1.0),
                        }
                    })
                    .collect();
                let (mut got, mut want) = (vec![0i8; len], vec![0i8; len]);
                let (sg, sw) = ((k.quantize)(&x, &mut got), quantize_frame(&x, &mut want));
                assert_eq!(
                    sg.to_bits(),
                    sw.to_bits(),
                    "{} len {len} case {case}",
                    k.name
                );
                assert_eq!(got, want, "{} len {len} case {case}", k.name);
            }
        }
    }

    /// The f32 dot products in the order the AVX2 and NEON kernels use: 8 lanes of fused
    /// multiply-adds, pairwise reduction, then the unfused scalar tail.
    fn fma8_dot4(w: &[f32], x: &[f32]) -> [f32; BLOCK] {
        let n = w.len();
        let body = n / 8 * 8;
        std::array::from_fn(|j| {
            let xj = &x[j * n..(j + 1) * n];
            let mut lane = [0.0f32; 8];
            for (cw, cx) in w[..body].chunks_exact(8).zip(xj[..body].chunks_exact(8)) {
                for i in 0..8 {
                    lane[i] = cw[i].mul_add(cx[i], lane[i]);
                }
            }
            let l = lane;
            (((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])))
                + w[body..]
                    .iter()
                    .zip(&xj[body..])
                    .map(|(a, b)| a * b)
                    .sum::<f32>()
        })
    }

    #[test]
    fn the_expected_kernels_are_selected() {
        // CI runs the tests under emulated processors with and without a feature and names the
        // table each must pick, so a detection mistake cannot silently test the wrong kernels.
        if let Ok(want) = std::env::var("INKJOT_EXPECT_KERNELS") {
            assert_eq!(kernels().name, want);
        }
    }

    proptest! {
        #[test]
        fn simd_f32_kernels_give_the_same_bits_on_every_architecture(
            rows in 0usize..4,
            cols in 0usize..70,
            v in prop::collection::vec(-10.0f32..10.0, 1..400),
        ) {
            let k = kernels();
            // AVX2 and NEON: one order of operations, so bit-equal results (the portable kernels
            // sum 16 lanes without fusing and may differ in the last bits).
            if k.name != PORTABLE.name {
                let mut it = v.iter().copied().cycle();
                let w: Vec<f32> = it.by_ref().take(rows * cols).collect();
                let x: Vec<f32> = it.take(BLOCK * cols).collect();
                let mut got = vec![[0.0; BLOCK]; rows];
                (k.block_f32)(&w, &x, &mut got);
                for (r, g) in got.iter().enumerate() {
                    let want = fma8_dot4(&w[r * cols..(r + 1) * cols], &x);
                    prop_assert_eq!(g.map(f32::to_bits), want.map(f32::to_bits), "{}", k.name);
                }
            }
        }

        #[test]
        fn dot4_f32_matches_naive(v in prop::collection::vec(-10.0f32..10.0, 0..500)) {
            let (w, x) = split_block(&v);
            let got = dot4_f32(&w, &x);
            for (j, xj) in x.chunks_exact(w.len().max(1)).enumerate() {
                prop_assert!((got[j] - naive_dot(&w, xj)).abs() <= tolerance(&w, xj));
            }
        }

        #[test]
        fn dot4_i8_is_exact(v in prop::collection::vec(any::<i8>(), 0..1000)) {
            let (w, x) = split_block(&v);
            let (w, x) = (symmetric(&w), symmetric(&x));
            let got = dot4_i8(&w, &x);
            for (j, xj) in x.chunks_exact(w.len().max(1)).enumerate() {
                let want: i64 = w.iter().zip(xj).map(|(a, b)| i64::from(*a) * i64::from(*b)).sum();
                prop_assert_eq!(i64::from(got[j]), want);
            }
        }

        #[test]
        fn selected_kernels_match_portable(
            f in prop::collection::vec(-10.0f32..10.0, 0..1500),
            q in prop::collection::vec(any::<i8>(), 0..1500),
            frames in 1..=BLOCK,
            g in prop::collection::vec(-30.0f32..30.0, 0..100),
        ) {
            let k = kernels();
            // Three weight rows and a block of frames, all of `n` values.
            let n = f.len() / (3 + BLOCK);
            let (w, x) = f[..(3 + BLOCK) * n].split_at(3 * n);
            let (mut got, mut want) = ([[0.0; BLOCK]; 3], [[0.0; BLOCK]; 3]);
            (k.block_f32)(w, x, &mut got);
            block_f32(w, x, &mut want);
            for (r, wr) in w.chunks_exact(n.max(1)).enumerate() {
                for (j, xj) in x.chunks_exact(n.max(1)).enumerate() {
                    prop_assert!((got[r][j] - want[r][j]).abs() <= tolerance(wr, xj), "{}", k.name);
                }
            }
            // Three int8 weight rows and 1..=BLOCK frames, all within ±127.
            let n = q.len() / (3 + BLOCK);
            let (wq, xq) = q[..(3 + BLOCK) * n].split_at(3 * n);
            let (wq, xq) = (symmetric(wq), symmetric(&xq[..frames * n]));
            let (mut got, mut want) = ([[0; BLOCK]; 3], [[0; BLOCK]; 3]);
            (k.block_i8)(&wq, &xq, &mut got);
            block_i8(&wq, &xq, &mut want);
            for (g, w) in got.iter().zip(&want) {
                prop_assert_eq!(&g[..frames], &w[..frames], "{} {} frames", k.name, frames);
            }
            let n = g.len() / 3;
            let (mut c1, mut h1) = (vec![0.25f32; n], vec![0.0f32; n]);
            let (mut c2, mut h2) = (c1.clone(), h1.clone());
            (k.pool_step)(&g[..3 * n], &mut c1, &mut h1);
            pool_step(&g[..3 * n], &mut c2, &mut h2);
            for (a, b) in c1.iter().zip(&c2).chain(h1.iter().zip(&h2)) {
                prop_assert!((a - b).abs() <= 1e-6, "{}: {a} vs {b}", k.name);
            }
        }

        #[test]
        fn dense_matches_a_naive_matrix_product(
            frames in 0usize..11,
            w in prop::collection::vec(-1.0f32..1.0, 3 * 20),
            x in prop::collection::vec(-3.0f32..3.0, 10 * 20),
        ) {
            let (rows, cols) = (3, 20);
            let x = &x[..frames * cols];
            let bias = vec![0.5, -0.25, 0.0];
            let dense = Dense { rows, cols, weights: Weights::F32(w.clone()), bias: bias.clone() };
            let mut out = Vec::new();
            dense.apply(x, &mut out);
            prop_assert_eq!(out.len(), frames * rows);
            for (t, xt) in x.chunks_exact(cols).enumerate() {
                for r in 0..rows {
                    let want = naive_dot(&w[r * cols..(r + 1) * cols], xt) + bias[r];
                    prop_assert!((out[t * rows + r] - want).abs() <= 1e-4 * (1.0 + want.abs()));
                }
            }
        }

        #[test]
        fn int8_dense_tracks_f32(
            frames in 0usize..11,
            w in prop::collection::vec(-1.0f32..1.0, 3 * 8),
            x in prop::collection::vec(-3.0f32..3.0, 10 * 8),
        ) {
            let (rows, cols) = (3, 8);
            let x = &x[..frames * cols];
            // Per-row symmetric int8 weights, as the exporter writes them.
            let mut q = vec![0i8; rows * cols];
            let mut scale = vec![0.0; rows];
            for r in 0..rows {
                let row = &w[r * cols..(r + 1) * cols];
                let max = row.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                scale[r] = if max > 0.0 { max / 127.0 } else { 1.0 };
                for (d, v) in q[r * cols..(r + 1) * cols].iter_mut().zip(row) {
                    *d = (v / scale[r]).round() as i8;
                }
            }
            let bias = vec![0.5, -0.25, 0.0];
            let f = Dense { rows, cols, weights: Weights::F32(w.clone()), bias: bias.clone() };
            let i = Dense { rows, cols, weights: Weights::Int8 { q, scale }, bias };
            let (mut of, mut oi) = (Vec::new(), Vec::new());
            f.apply(x, &mut of);
            i.apply(x, &mut oi);
            prop_assert_eq!(of.len(), oi.len());
            // Per product: the weight off by half a step (1/127 of 1.0 / 2) times |x| <= 3, the
            // activation off by half a step (3/127 / 2) times |w| <= 1; 8 products.
            let bound = 8.0 * (0.5 / 127.0 * 3.0 + 0.5 * 3.0 / 127.0 * 1.0) + 1e-4;
            for (a, b) in of.iter().zip(&oi) {
                prop_assert!((a - b).abs() <= bound, "{a} vs {b}");
            }
        }
    }
}
