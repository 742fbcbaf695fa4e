"""Shared fixtures: the real datasets (skipped with a reason when absent) and offline settings."""

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from core.paths import data_root  # noqa: E402


@pytest.fixture(scope="session")
def shared_data():
    """Path of the shared real datasets; skips the test when they are not on this machine."""
    root = data_root()
    if not (root / "README.md").is_file():
        pytest.skip(f"real datasets not found at {root} (set SMIE_DATA to their folder)")
    return root
