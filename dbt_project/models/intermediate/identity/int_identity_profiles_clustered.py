"""Profiles -> clusters (one cluster = one fan), without over-merging.

Links are applied strongest first (union-find). A link is refused when it would put into
one cluster two profiles that a cannot-link rule separates (int_identity_pairs_compared:
different birth dates, different first names) or two different birth dates: so two people
are never chained together through one shared identifier (a family mailbox, a shared
phone), even when each of them links to a third, ambiguous record.

Python because constrained clustering is sequential (each decision depends on the
clusters built so far), which set-based SQL cannot express.
"""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")

    profiles = dbt.ref("int_identity_profiles_grouped").project("profile_id, birth_date")
    profiles = profiles.order("profile_id").fetch_arrow_table()
    links = (
        dbt.ref("int_identity_links_unioned")
        .order("priority, match_probability desc, profile_id_a, profile_id_b")
        .fetch_arrow_table()
    )
    cannot = (
        dbt.ref("int_identity_pairs_scored")
        .filter("is_cannot_link")
        .project("profile_id_a, profile_id_b")
        .fetch_arrow_table()
    )

    ids = profiles.column("profile_id").to_pylist()
    index = {profile_id: i for i, profile_id in enumerate(ids)}
    n = len(ids)
    parent = np.arange(n)
    size = np.ones(n, dtype=np.int64)
    birth = {i: {b} for i, b in enumerate(profiles.column("birth_date").to_pylist()) if b}
    separated = {}  # root -> profiles it must never share a cluster with
    for a, b in zip(cannot.column("profile_id_a").to_pylist(), cannot.column("profile_id_b").to_pylist()):
        separated.setdefault(index[a], set()).add(index[b])
        separated.setdefault(index[b], set()).add(index[a])

    def find(i):
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def conflicts(ra, rb):
        births = birth.get(ra, set()) | birth.get(rb, set())
        if len(births) > 1:
            return True
        small, other = (ra, rb) if len(separated.get(ra, ())) <= len(separated.get(rb, ())) else (rb, ra)
        return any(find(p) == other for p in separated.get(small, ()))

    attach = {}  # profile -> (rule, probability, evidence, partner) of its strongest link
    columns = [links.column(c).to_pylist() for c in ("profile_id_a", "profile_id_b", "link_rule", "match_probability", "evidence")]
    for a_id, b_id, rule, probability, evidence in zip(*columns):
        a, b = index[a_id], index[b_id]
        ra, rb = find(a), find(b)
        if ra != rb:
            if conflicts(ra, rb):
                continue
            if size[ra] < size[rb]:
                ra, rb = rb, ra
            parent[rb] = ra
            size[ra] += size[rb]
            if rb in birth:
                birth.setdefault(ra, set()).update(birth.pop(rb))
            if rb in separated:
                separated.setdefault(ra, set()).update(separated.pop(rb))
        for profile, partner in ((a, b_id), (b, a_id)):
            attach.setdefault(profile, (rule, float(probability), evidence, partner))

    roots = np.array([find(i) for i in range(n)], dtype=np.int64)
    # cluster id: the smallest profile id of the cluster (profiles are sorted by id)
    first_of_root = {}
    for i, root in enumerate(roots.tolist()):
        first_of_root.setdefault(root, ids[i])
    missing = (None, None, None, None)
    return pa.table(
        {
            "profile_id": ids,
            "cluster_id": [first_of_root[r] for r in roots.tolist()],
            "link_rule": [attach.get(i, missing)[0] for i in range(n)],
            "link_probability": pa.array([attach.get(i, missing)[1] for i in range(n)], pa.float64()),
            "link_evidence": [attach.get(i, missing)[2] for i in range(n)],
            "linked_profile_id": [attach.get(i, missing)[3] for i in range(n)],
        }
    )
