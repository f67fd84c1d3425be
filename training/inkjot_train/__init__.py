"""inkjot training pipeline: bidirectional QRNN + CTC on featurized Bezier-curve inks."""

FEATURE_DIM = 11
FEATURE_NAMES = ["dx", "dy", "d1", "d2", "a1", "a2", "g1", "g2", "g3", "p", "y"]
