"""The learning-rate schedule depends on the optimizer step only."""

import inspect
import math

import pytest

from inkjot_train.schedule import CosineSchedule, total_steps_for


def test_warmup_is_linear_up_to_the_peak():
    s = CosineSchedule(total_steps=1000, warmup_steps=100, min_ratio=0.05)
    assert s.factor(0) == pytest.approx(0.01)  # 1/100 of the peak; the cosine is still at 1 there
    assert s.warmup(0) == pytest.approx(0.01)
    assert s.warmup(49) == pytest.approx(0.5)
    assert s.warmup(99) == 1.0 and s.warmup(500) == 1.0


def test_cosine_values():
    s = CosineSchedule(total_steps=1000, warmup_steps=0, min_ratio=0.05)
    assert s.factor(0) == pytest.approx(1.0)
    assert s.factor(500) == pytest.approx(0.05 + 0.95 * 0.5)
    assert s.factor(250) == pytest.approx(0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi / 4)))
    assert s.factor(1000) == pytest.approx(0.05)
    assert s.factor(5000) == pytest.approx(0.05)  # held at the floor past the budget


def test_decreasing_after_warmup():
    s = CosineSchedule(total_steps=400, warmup_steps=20, min_ratio=0.1)
    values = [s.factor(k) for k in range(20, 401)]
    assert all(a >= b for a, b in zip(values, values[1:], strict=False))
    assert values[0] > values[-1]


def test_depends_on_steps_only():
    # no time argument anywhere: the same step gives the same lr on any machine
    assert list(inspect.signature(CosineSchedule.factor).parameters) == ["self", "step"]


def test_resumed_stage_restarts_warm():
    # stage 2 of the shipped recipe: 33 epochs decayed, then --resume with --epochs 86 puts the
    # cosine back at p = 33/86 (about 70% of the peak lr)
    spe = 1200
    stage2 = CosineSchedule(total_steps_for(86, 0, spe), 300, 0.05)
    assert stage2.factor(33 * spe) == pytest.approx(0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * 33 / 86)))
    assert 0.65 < stage2.factor(33 * spe) < 0.75


def test_total_steps():
    assert total_steps_for(epochs=10, steps=0, steps_per_epoch=37) == 370
    assert total_steps_for(epochs=10, steps=500, steps_per_epoch=37) == 500
    assert total_steps_for(epochs=10, steps=0, steps_per_epoch=0) == 1


@pytest.mark.parametrize(
    "kwargs", [dict(total_steps=0), dict(total_steps=10, warmup_steps=-1), dict(total_steps=10, min_ratio=1.5)]
)
def test_invalid_schedules(kwargs):
    with pytest.raises(ValueError):
        CosineSchedule(**kwargs)
