//! The bidirectional QRNN forward pass (Bradbury et al. 2016).
//!
//! Per direction, a causal convolution of width K over time gives three gate pre-activations per
//! unit: `z = tanh(.)`, `f = σ(.)`, `o = σ(.)`; fo-pooling then runs
//! `c_t = f_t c_{t−1} + (1 − f_t) z_t` (c_0 = 0) and emits `h_t = o_t c_t`. The backward direction
//! is the same computation on the time-reversed sequence, reversed back. A layer's output is
//! `[h_fwd, h_bwd]` per frame. The gate activations are the fast rational approximations in
//! [`super::kernels`] (within 1e-6 of libm).

use super::kernels::{Dense, kernels};

/// Scratch buffers reused across layers and calls.
#[derive(Default)]
pub struct Scratch {
    window: Vec<f32>,
    gates: Vec<f32>,
    reversed: Vec<f32>,
}

/// Runs one direction's convolution + fo-pooling over `input` (`frames × d_in`, already in the
/// direction's time order), writing `h` into `out` at column offset `offset` of rows of `stride`.
#[allow(clippy::too_many_arguments)]
fn direction(
    conv: &Dense,
    kernel: usize,
    input: &[f32],
    d_in: usize,
    hidden: usize,
    reverse_output: bool,
    out: &mut [f32],
    stride: usize,
    offset: usize,
    scratch: &mut Scratch,
) {
    let frames = input.len() / d_in;
    // im2col: frame t sees inputs t−K+1 ..= t, oldest first, zeros before the start.
    let window = &mut scratch.window;
    window.clear();
    window.resize(frames * kernel * d_in, 0.0);
    for t in 0..frames {
        for k in 0..kernel {
            let Some(source) = (t + k + 1).checked_sub(kernel) else {
                continue;
            };
            let dst = t * kernel * d_in + k * d_in;
            window[dst..dst + d_in].copy_from_slice(&input[source * d_in..(source + 1) * d_in]);
        }
    }
    conv.apply(window, &mut scratch.gates);
    let pool_step = kernels().pool_step;
    let mut c = vec![0.0f32; hidden];
    for (t, gates) in scratch.gates.chunks_exact(3 * hidden).enumerate() {
        let row = if reverse_output { frames - 1 - t } else { t };
        let start = row * stride + offset;
        pool_step(gates, &mut c, &mut out[start..start + hidden]);
    }
}

/// One bidirectional layer: `input` is `frames × d_in`, the result `frames × 2·hidden`.
pub fn layer(
    convs: &[Dense; 2],
    kernel: usize,
    hidden: usize,
    input: &[f32],
    d_in: usize,
    scratch: &mut Scratch,
) -> Vec<f32> {
    let frames = input.len() / d_in;
    let mut out = vec![0.0f32; frames * 2 * hidden];
    direction(
        &convs[0],
        kernel,
        input,
        d_in,
        hidden,
        false,
        &mut out,
        2 * hidden,
        0,
        scratch,
    );
    let mut reversed = std::mem::take(&mut scratch.reversed);
    reversed.clear();
    for t in (0..frames).rev() {
        reversed.extend_from_slice(&input[t * d_in..(t + 1) * d_in]);
    }
    direction(
        &convs[1],
        kernel,
        &reversed,
        d_in,
        hidden,
        true,
        &mut out,
        2 * hidden,
        hidden,
        scratch,
    );
    scratch.reversed = reversed;
    out
}
