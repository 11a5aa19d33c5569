"""Shared pytest fixtures. Keep this small: fixtures used by one area belong in that area's tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# In CI (CI=true) property tests and fuzzers are derandomized: a run is reproducible and cannot fail
# by luck. Locally they explore new inputs each run — that is how they find bugs.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO_ROOT / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The development data sets (../shared/data, read-only); skips the test when they are absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"development data not found at {SHARED_DATA} (only present in the dev/CI checkout)")
    return SHARED_DATA
