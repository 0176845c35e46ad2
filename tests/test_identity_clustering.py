"""The constrained clustering of identity resolution (the dbt Python model), on small graphs
worked out by hand."""

import importlib.util
from datetime import date

import duckdb
import numpy as np
import pytest

from orchestration.settings import DBT_PROJECT_DIR

MODEL = DBT_PROJECT_DIR / "models/intermediate/identity/int_identity_profiles_clustered.py"
spec = importlib.util.spec_from_file_location("clustering", MODEL)
clustering = importlib.util.module_from_spec(spec)
spec.loader.exec_module(clustering)


def test_connected_components_label_each_node_with_its_smallest_member():
    # 0-1-2 chain, 3-4, 5 alone
    labels = clustering.connected_components(6, np.array([1, 2, 4]), np.array([0, 1, 3]))
    assert labels.tolist() == [0, 0, 0, 3, 3, 5]


def test_rank_within_pair_counts_the_earlier_links_of_the_same_pair_the_same_way_round():
    # links in order: 0-1, 1-0 (other way round), 0-1 again, 0-2, 0-1 a third time
    ranks = clustering.rank_within_pair(np.array([0, 1, 0, 0, 0]), np.array([1, 0, 1, 2, 1]))
    assert ranks.tolist() == [0, 0, 1, 0, 2]


class FakeDbt:
    """Just enough of dbt's Python-model API: config() and ref() on an in-memory DuckDB."""

    def __init__(self, con):
        self.con = con

    def config(self, **_):
        pass

    def ref(self, name):
        return self.con.table(name)


def create_profiles(con, profiles, holders=()):
    """int_identity_profiles_grouped with (profile_id, birth_date) rows and each profile's
    key (its rank in id order, as the model gives it); `holders` are the holder-only
    profiles."""
    con.execute(
        "create table int_identity_profiles_grouped"
        " (profile_id varchar, birth_date date, is_holder_only boolean, profile_key bigint)"
    )
    keys = {profile: key for key, profile in enumerate(sorted(p for p, _ in profiles))}
    con.executemany(
        "insert into int_identity_profiles_grouped values (?, ?, ?, ?)",
        [(profile, born, profile in holders, keys[profile]) for profile, born in profiles],
    )


def create_cannot_links(con, cannot=()):
    """int_identity_pairs_scored holding the cannot-link pairs (given by profile id), by key."""
    con.execute(
        "create table int_identity_pairs_scored"
        " (profile_key_a bigint, profile_key_b bigint, is_cannot_link boolean)"
    )
    for a, b in cannot:
        con.execute(
            "insert into int_identity_pairs_scored select a.profile_key, b.profile_key, true"
            " from int_identity_profiles_grouped as a, int_identity_profiles_grouped as b"
            " where a.profile_id = ? and b.profile_id = ?",
            [a, b],
        )


@pytest.fixture
def clusters():
    def run(profiles, links, cannot=(), holders=()):
        con = duckdb.connect()
        create_profiles(con, profiles, holders)
        con.execute(
            "create table int_identity_links_unioned (profile_id_a varchar, profile_id_b varchar,"
            " link_rule varchar, match_probability double, evidence varchar, priority int)"
        )
        con.executemany(
            "insert into int_identity_links_unioned values (?, ?, 'probabilistic', ?, 'e', 2)",
            links,
        )
        create_cannot_links(con, cannot)
        table = clustering.model(FakeDbt(con), con)
        return dict(
            zip(table["profile_id"].to_pylist(), table["cluster_id"].to_pylist(), strict=True)
        )

    return run


def test_two_people_are_not_chained_through_an_ambiguous_record(clusters):
    # mother m and son s share a mailbox (cannot-link: different first names); x, a record
    # with only the mailbox, links to both. x joins the stronger link; s stays apart.
    result = clusters(
        [("m", None), ("s", None), ("x", None)],
        [("m", "x", 0.99), ("s", "x", 0.97)],
        cannot=[("m", "s")],
    )
    assert result["m"] == result["x"] != result["s"]


def test_a_birth_date_typo_is_evidence_for_the_scores_not_a_veto_in_clustering(clusters):
    # 1958-08-08 and 1958-08-09: one typo; the pair scores weighed it and still linked
    result = clusters(
        [("a", date(1958, 8, 8)), ("b", date(1958, 8, 9)), ("c", None)],
        [("a", "c", 0.999), ("b", "c", 0.99)],
    )
    assert result["a"] == result["b"] == result["c"]


def test_a_cannot_link_pair_stays_apart_even_before_1970(clusters):
    result = clusters(
        [("a", date(1958, 8, 8)), ("b", date(2011, 9, 23)), ("c", None)],
        [("a", "c", 0.999), ("b", "c", 0.99)],
        cannot=[("a", "b")],
    )
    assert result["a"] == result["c"] != result["b"]


def test_a_ticket_holder_never_chains_two_buyers_worlds_together(clusters):
    # guest g (known only from tickets) is named like someone in buyer a's world (strong
    # link) and in buyer b's (weaker): g joins a; b stays apart. Guest h, linked to g by a
    # recurring name, may follow g into a's cluster, but not bring b in either.
    result = clusters(
        [("a", None), ("b", None), ("g", None), ("h", None)],
        [("a", "g", 0.99), ("g", "h", 0.98), ("b", "g", 0.97), ("b", "h", 0.96)],
        holders={"g", "h"},
    )
    assert result["a"] == result["g"] == result["h"] != result["b"]


def test_core_records_linked_among_themselves_still_merge_beside_a_holder(clusters):
    # a and b link directly (both core): the holder's second link is no bridge then
    result = clusters(
        [("a", None), ("b", None), ("g", None)],
        [("a", "g", 0.99), ("b", "g", 0.97), ("a", "b", 0.96)],
        holders={"g"},
    )
    assert result["a"] == result["b"] == result["g"]


def test_unconflicted_components_are_clusters_and_ids_are_their_smallest_profile(clusters):
    result = clusters(
        [("p1", None), ("p2", date(1990, 1, 1)), ("p3", None), ("q1", None), ("q2", None)],
        [("p2", "p3", 0.99), ("p1", "p2", 0.98), ("q1", "q2", 0.96)],
    )
    assert result == {"p1": "p1", "p2": "p1", "p3": "p1", "q1": "q1", "q2": "q1"}


def test_a_pair_linked_through_several_orders_is_explained_the_same_whatever_the_row_order():
    # a ticket holder named like the buyer of two of that buyer's orders: two equal links
    links = [
        ("h", "b", "holder_is_buyer", 1.0, "ticket holder named like the buyer of order 2", 1),
        ("h", "b", "holder_is_buyer", 1.0, "ticket holder named like the buyer of order 1", 1),
        ("h", "b", "same_ticketing_account", 1.0, "same ticketing account A1", 1),
    ]

    def explanations(rows):
        con = duckdb.connect()
        create_profiles(con, [("b", None), ("h", None)])
        con.execute(
            "create table int_identity_links_unioned (profile_id_a varchar, profile_id_b varchar,"
            " link_rule varchar, match_probability double, evidence varchar, priority int)"
        )
        con.executemany("insert into int_identity_links_unioned values (?, ?, ?, ?, ?, ?)", rows)
        create_cannot_links(con)
        table = clustering.model(FakeDbt(con), con)
        return table.select(["profile_id", "link_rule", "link_evidence"]).to_pylist()

    explained = explanations(links)
    assert explanations(links[::-1]) == explained
    assert explanations(links[1:] + links[:1]) == explained
