"""inkjot training pipeline: bidirectional QRNN + CTC on featurized Bezier-curve inks.

The feature layout (names and count) is not defined here: it is read from each featurize file's
`feature_names` metadata (written by `inkjot featurize`, defined in `src/features/vector.rs`).
"""
