//! AArch64 kernels: the place for NEON versions of the dense and pooling kernels (as
//! `sonos/tract` keeps them in `linalg/src/arm64/`). None are written yet, so [`plug`] leaves the
//! portable table in place; a NEON kernel added here must be tested against the portable one like
//! the x86 ones are.

use super::Kernels;

/// Overrides the entries of `kernels` this processor can run faster: none yet.
pub fn plug(kernels: &mut Kernels) {
    let _ = kernels;
}
