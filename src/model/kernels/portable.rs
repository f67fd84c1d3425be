//! The portable kernels: plain Rust with independent accumulators over fixed-size chunks, which
//! compilers vectorize for the baseline target. Every other table starts from this one.

use super::{BLOCK, Kernels, LANES, pool_step_body};

/// The portable kernels.
pub const PORTABLE: Kernels = Kernels {
    name: "portable",
    block_f32,
    block_i8,
    quantize: super::quantize_frame,
    pool_step,
};

/// Portable [`Kernels::pool_step`].
pub fn pool_step(gates: &[f32], c: &mut [f32], h: &mut [f32]) {
    pool_step_body(gates, c, h);
}

/// Portable [`Kernels::block_f32`].
pub fn block_f32(w: &[f32], x: &[f32], out: &mut [[f32; BLOCK]]) {
    let cols = x.len() / BLOCK;
    for (o, wr) in out.iter_mut().zip(w.chunks_exact(cols.max(1))) {
        *o = dot4_f32(wr, x);
    }
}

/// Portable [`Kernels::block_i8`].
pub fn block_i8(w: &[i8], x: &[i8], out: &mut [[i32; BLOCK]]) {
    let cols = w.len() / out.len().max(1);
    for (o, wr) in out.iter_mut().zip(w.chunks_exact(cols.max(1))) {
        *o = dot4_i8(wr, x);
    }
}

/// Dot products of one weight row with [`BLOCK`] frames stored back to back in `x`: independent
/// accumulators per frame (vectorizes well).
pub fn dot4_f32(w: &[f32], x: &[f32]) -> [f32; BLOCK] {
    let n = w.len();
    let mut out = [0.0f32; BLOCK];
    for (o, xj) in out.iter_mut().zip(x.chunks_exact(n.max(1))) {
        let mut acc = [0.0f32; LANES];
        let chunks = n / LANES * LANES;
        for (cw, cx) in w[..chunks]
            .chunks_exact(LANES)
            .zip(xj[..chunks].chunks_exact(LANES))
        {
            for i in 0..LANES {
                acc[i] += cw[i] * cx[i];
            }
        }
        *o = acc.iter().sum::<f32>()
            + w[chunks..]
                .iter()
                .zip(&xj[chunks..])
                .map(|(a, b)| a * b)
                .sum::<f32>();
    }
    out
}

/// Exact integer version of [`dot4_f32`], accumulated in i32, for the up to [`BLOCK`] frames in
/// `x` (the other entries are 0).
pub fn dot4_i8(w: &[i8], x: &[i8]) -> [i32; BLOCK] {
    let n = w.len();
    let mut out = [0i32; BLOCK];
    for (o, xj) in out.iter_mut().zip(x.chunks_exact(n.max(1))) {
        let mut acc = [0i32; LANES];
        let chunks = n / LANES * LANES;
        for (cw, cx) in w[..chunks]
            .chunks_exact(LANES)
            .zip(xj[..chunks].chunks_exact(LANES))
        {
            for i in 0..LANES {
                acc[i] += i32::from(cw[i]) * i32::from(cx[i]);
            }
        }
        *o = acc.iter().sum::<i32>()
            + w[chunks..]
                .iter()
                .zip(&xj[chunks..])
                .map(|(a, b)| i32::from(*a) * i32::from(*b))
                .sum::<i32>();
    }
    out
}
