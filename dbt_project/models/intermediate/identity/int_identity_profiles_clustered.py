"""Profiles -> clusters (one cluster = one fan), without over-merging.

Links are applied strongest first (union-find). A link is refused when it would put into
one cluster two profiles that the cannot-link rule separates (int_identity_pairs_compared:
one mailbox or phone, different first names and birth dates): so two people of one family
are never chained together through the identifier they share, even when each of them links
to a third, ambiguous record. Differences elsewhere (a birth-date typo) are evidence in the
pair scores, not vetoes here.

A ticket holder known only from tickets (a holder-only profile) joins at most one cluster
holding other records: the name a buyer types for a guest is weak evidence, and a guest
linked to two buyers' worlds would otherwise chain two people together (measured at 100,000
generated fans: links through holder-only profiles made two thirds of the wrong merges
among the core records). The strongest such link wins; the others are refused.

A merge can only be refused inside a connected component of the link graph that holds a
cannot-link pair, or more than one group of core profiles (not holder-only) that the links
among them alone do not join. Every other component is a cluster as it stands: the
components are found vectorised (numpy), and the sequential constrained union-find runs on
the conflicted components only. Python because that constrained clustering is sequential
(each decision depends on the clusters built so far), which set-based SQL cannot express.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def connected_components(n, a, b):
    """Component label (smallest member index) of each of n nodes, edges a[i]-b[i]."""
    labels = np.arange(n)
    while True:
        low = np.minimum(labels[a], labels[b])
        updated = labels.copy()
        np.minimum.at(updated, a, low)
        np.minimum.at(updated, b, low)
        updated = updated[updated]  # pointer jumping
        if np.array_equal(updated, labels):
            return labels
        labels = updated


def components_bridged_by_holders(labels, a, b, holder_only):
    """Labels of the components in which the core profiles (not holder-only) form more than
    one group when only the links between core profiles count."""
    n = len(labels)
    core_edge = ~holder_only[a] & ~holder_only[b]
    core_labels = connected_components(n, a[core_edge], b[core_edge])
    core = np.flatnonzero(~holder_only)
    groups = np.unique(np.stack([labels[core], core_labels[core]]), axis=1)
    components, group_counts = np.unique(groups[0], return_counts=True)
    return components[group_counts > 1]


def rank_within_pair(a, b):
    """Per link a[i]-b[i] (in link order), how many earlier links join the same two nodes
    the same way round."""
    pair = a * (max(a.max(initial=0), b.max(initial=0)) + 1) + b
    order = np.argsort(pair, kind="stable")  # by pair, then link order
    sorted_pair = pair[order]
    starts = np.flatnonzero(np.r_[True, sorted_pair[1:] != sorted_pair[:-1]])
    rank = np.empty(len(a), dtype=np.int64)
    rank[order] = np.arange(len(a)) - np.repeat(starts, np.diff(np.r_[starts, len(a)]))
    return rank


def constrained_union(n, edges, separated, holder_only=frozenset()):
    """Sequential union-find over `edges` (pairs of node indices, strongest first) that
    refuses merges joining two separated nodes, and merges through a `holder_only` node of
    two clusters that both hold other nodes. Returns the root of each touched node and, per
    edge, whether it was refused."""
    parent, size = {}, {}
    apart = {node: set(others) for node, others in separated.items()}
    has_core = {}  # root -> its cluster holds a node that is not holder-only

    def find(i):
        parent.setdefault(i, i)
        root = i
        while parent[root] != root:
            root = parent[root]
        while parent[i] != root:
            parent[i], i = root, parent[i]
        return root

    def conflicts(ra, rb):
        small, other = (ra, rb) if len(apart.get(ra, ())) <= len(apart.get(rb, ())) else (rb, ra)
        return any(find(p) == other for p in apart.get(small, ()))

    def holds_core(root):
        return has_core.get(root, root not in holder_only)

    def bridges(a, b, ra, rb):
        return (a in holder_only or b in holder_only) and holds_core(ra) and holds_core(rb)

    refused = []
    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra == rb:
            refused.append(False)
            continue
        if conflicts(ra, rb) or bridges(a, b, ra, rb):
            refused.append(True)
            continue
        refused.append(False)
        if size.get(ra, 1) < size.get(rb, 1):
            ra, rb = rb, ra
        has_core[ra] = holds_core(ra) or holds_core(rb)
        parent[rb] = ra
        size[ra] = size.get(ra, 1) + size.get(rb, 1)
        apart.setdefault(ra, set()).update(apart.pop(rb, set()))
    return {node: find(node) for node in list(parent)}, np.array(refused, dtype=bool)


# The order links are applied in: strongest first; then by profile (node) and, for one pair
# linked by several rules or through several orders (evidence), by rule and evidence, so the
# same link is applied (and quoted as the explanation) every run.
LINK_STRENGTH = "priority, match_probability desc"
PAIR_TIE_BREAK = "link_rule, evidence"


def model(dbt, session):
    dbt.config(materialized="table")

    # Each profile is a node: its rank in profile id order (profile keys follow that order).
    # Links and cannot-link pairs reach Python as pairs of nodes (integers) and are sorted
    # on them; their ids and explanations stay in DuckDB, which spills, and only the links
    # explaining a profile are read back (at 1M fans, the 21.5M links as Arrow strings held
    # 3.6 GB beside DuckDB).
    profile_nodes = dbt.ref("int_identity_profiles_grouped").project(
        "profile_id, profile_key, is_holder_only,"
        " row_number() over (order by profile_key) - 1 as node"
    )
    profiles = profile_nodes.order("node").to_arrow_table()
    links = dbt.ref("int_identity_links_unioned")

    def as_nodes(pairs, columns, key="profile_id"):
        return (
            pairs.set_alias("pair")
            .join(profile_nodes.set_alias("node_a"), f"pair.{key}_a = node_a.{key}")
            .join(profile_nodes.set_alias("node_b"), f"pair.{key}_b = node_b.{key}")
            .project(f"node_a.node as a, node_b.node as b, {columns}")
        )

    def column(table, name):
        return table.column(name).to_numpy(zero_copy_only=False).astype(np.int64)

    ordered = (
        as_nodes(links, "pair.*")
        .order(f"{LINK_STRENGTH}, a, b, {PAIR_TIE_BREAK}")
        .project("a, b")
        .to_arrow_table()
    )
    cannot = dbt.ref("int_identity_pairs_scored").filter("is_cannot_link")
    cannot = as_nodes(cannot, "1", key="profile_key").project("a, b").to_arrow_table()
    ids = profiles.column("profile_id")
    n = len(ids)
    a, b = column(ordered, "a"), column(ordered, "b")
    cannot_a, cannot_b = column(cannot, "a"), column(cannot, "b")
    del ordered, cannot
    labels = connected_components(n, a, b)
    holder_only = profiles.column("is_holder_only").to_numpy(zero_copy_only=False).astype(bool)

    # components holding a cannot-link pair, or core groups that only holders join, need the
    # constrained pass
    conflicted = set(labels[cannot_a][labels[cannot_a] == labels[cannot_b]].tolist())
    conflicted.update(components_bridged_by_holders(labels, a, b, holder_only).tolist())
    conflicted = np.array(sorted(conflicted), dtype=np.int64)

    cluster = labels.copy()
    refused = np.zeros(len(a), dtype=bool)
    edge_in_conflict = np.isin(labels[a], conflicted)
    if edge_in_conflict.any():
        nodes = np.flatnonzero(np.isin(labels, conflicted))
        separated = {}
        in_conflict = np.isin(labels[cannot_a], conflicted)
        for x, y in zip(
            cannot_a[in_conflict].tolist(), cannot_b[in_conflict].tolist(), strict=True
        ):
            separated.setdefault(x, set()).add(y)
            separated.setdefault(y, set()).add(x)
        edges = zip(a[edge_in_conflict].tolist(), b[edge_in_conflict].tolist(), strict=True)
        holders = set(np.flatnonzero(holder_only & np.isin(labels, conflicted)).tolist())
        roots, refused_in_conflict = constrained_union(n, edges, separated, holders)
        refused[edge_in_conflict] = refused_in_conflict
        for node in nodes.tolist():
            cluster[node] = roots.get(node, node)

    # cluster id: the smallest profile id of the cluster (profiles are sorted by id)
    smallest = np.full(n, n, dtype=np.int64)
    np.minimum.at(smallest, cluster, np.arange(n))
    cluster_ids = pc.take(ids, pa.array(smallest[cluster]))

    # explanation: each profile's strongest link that was not refused
    accepted = np.flatnonzero(~refused)
    first_link = np.full(n, len(a), dtype=np.int64)
    np.minimum.at(first_link, a[accepted], accepted)
    np.minimum.at(first_link, b[accepted], accepted)
    linked = np.flatnonzero(first_link < len(a))
    chosen = first_link[linked]
    partner = np.where(a[chosen] == linked, b[chosen], a[chosen])
    # the explaining links, found by their pair and their rank among that pair's links
    explanations = (
        session.from_arrow(
            pa.table(
                {
                    "node": linked,
                    "profile_id_a": pc.take(ids, pa.array(a[chosen])),
                    "profile_id_b": pc.take(ids, pa.array(b[chosen])),
                    "pair_rank": rank_within_pair(a, b)[chosen],
                }
            )
        )
        .set_alias("chosen")
        .join(
            links.set_alias("link"),
            "chosen.profile_id_a = link.profile_id_a and chosen.profile_id_b = link.profile_id_b",
        )
        .project("chosen.node, chosen.pair_rank, link.*")
        .project(
            "node, pair_rank, link_rule, match_probability, evidence, row_number() over"
            f" (partition by node order by {LINK_STRENGTH}, {PAIR_TIE_BREAK}) - 1 as rank_in_pair"
        )
        .filter("rank_in_pair = pair_rank")
        .order("node")
        .to_arrow_table()
    )
    # each profile's row in `explanations`, null when it has no link
    no_link = np.ones(n, dtype=bool)
    no_link[linked] = False
    explanation_row = np.zeros(n, dtype=np.int64)
    explanation_row[linked] = np.arange(len(linked))
    explanation_row = pa.array(explanation_row, mask=no_link)
    linked_node = np.zeros(n, dtype=np.int64)
    linked_node[linked] = partner

    def explained(name):
        return pc.take(explanations.column(name), explanation_row)

    return pa.table(
        {
            "profile_id": ids,
            "cluster_id": cluster_ids,
            "link_rule": explained("link_rule"),
            "link_probability": pc.cast(explained("match_probability"), pa.float64()),
            "link_evidence": explained("evidence"),
            "linked_profile_id": pc.take(ids, pa.array(linked_node, mask=no_link)),
        }
    )
