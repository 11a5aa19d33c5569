"""Shared pytest fixtures. Keep this small: fixtures used by one area belong in that area's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The development data sets (../shared/data, read-only); skips the test when they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"development data not found at {SHARED_DATA} (only present in the dev/CI checkout)")
    return SHARED_DATA
