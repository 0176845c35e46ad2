"""The same landing publishes the same data, byte for byte, run after run.

Two nightly runs on one generated landing, each in a fresh GRANDSTAND_HOME: every published
table has the same rows and every Parquet file the same bytes. Only the columns that name the
run writing an audit row differ, and so the Parquet files of their tables
(tests/published_tables.py: RUN_STAMPED_COLUMNS).
"""

import pytest

from tests.conftest import run_nightly
from tests.published_tables import content_hashes, parquet_digests

pytestmark = pytest.mark.e2e

FANS = 200
SEED = 7


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory):
    from orchestration.generator import generate

    landing = tmp_path_factory.mktemp("landing")
    generate(landing, fans=FANS, seed=SEED)
    published = []
    for name in ("first", "second"):
        home = tmp_path_factory.mktemp(name)
        assert run_nightly(home, landing).success
        published.append(home / "published")
    return published


def test_same_landing_same_table_contents(two_releases):
    first, second = (content_hashes(published) for published in two_releases)
    assert first == second


def test_same_landing_same_parquet_bytes(two_releases):
    first, second = (parquet_digests(published) for published in two_releases)
    assert len(first) > 20
    assert first == second
