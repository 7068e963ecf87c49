"""The run's collector thresholds apply inside the block only."""

from __future__ import annotations

import gc

import pytest

from leadsync.sync.gcpolicy import RUN_THRESHOLDS, batch_friendly_gc


def _fail_inside() -> None:
    with batch_friendly_gc():
        assert gc.get_threshold() == RUN_THRESHOLDS
        raise RuntimeError("batch failed")


def test_thresholds_are_restored_even_after_an_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError):
        _fail_inside()
    assert gc.get_threshold() == before
