"""Learning-rate schedule by optimizer step: linear warmup, then cosine decay to a floor.

It depends on the step count only (never on elapsed time), so the same command trains the same
model on a faster or slower machine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class CosineSchedule:
    """lr factor (multiplies the peak lr) at optimizer step `step` (0-based):

    warmup: (step + 1) / warmup_steps for the first warmup_steps steps, times
    cosine: min_ratio + (1 - min_ratio) * (1 + cos(pi * p)) / 2 with p = step / total_steps,
    held at min_ratio once step >= total_steps.
    """

    total_steps: int
    warmup_steps: int = 300
    min_ratio: float = 0.05

    def __post_init__(self):
        if self.total_steps < 1:
            raise ValueError(f"total_steps must be >= 1, got {self.total_steps}")
        if self.warmup_steps < 0:
            raise ValueError(f"warmup_steps must be >= 0, got {self.warmup_steps}")
        if not 0.0 <= self.min_ratio <= 1.0:
            raise ValueError(f"min_ratio must be in [0, 1], got {self.min_ratio}")

    def warmup(self, step: int) -> float:
        """The warmup factor alone (1.0 after the warmup)."""
        return min(1.0, (step + 1) / max(1, self.warmup_steps))

    def factor(self, step: int) -> float:
        """Warmup times cosine decay at `step`."""
        p = min(1.0, max(0, step) / self.total_steps)
        cos = self.min_ratio + (1.0 - self.min_ratio) * 0.5 * (1.0 + math.cos(math.pi * p))
        return self.warmup(step) * cos


def total_steps_for(epochs: int, steps: int, steps_per_epoch: int) -> int:
    """The schedule's length: `steps` when given (> 0), else `epochs` times the step count of the
    first epoch (epochs of different train files differ by a few batches; the estimate is fixed
    at the first epoch and kept in the checkpoint, so it is the same on every machine)."""
    if steps > 0:
        return steps
    return max(1, epochs * steps_per_epoch)
