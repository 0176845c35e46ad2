"""Fellegi-Sunter weights of every comparison level, learnt from this run's data without
labels, the way Splink trains its model:

- u (the chance of a level between two different people): its share among random pairs;
- m (its chance for the same person): expectation-maximisation sessions, each over the
  candidate pairs agreeing exactly on some fields (identity_training_sessions), learning m
  of every other field; a field's m is the mean over the sessions that leave it free;
- the prior (chance two random profiles are the same person): EM over all candidate pairs
  with m and u fixed, times candidate pairs / all pairs (blocking picked pairs that agree
  on a field, and that field's weight already counts the agreement).

weight = log2(m / u). Python because EM iterates until convergence over the small pattern
table (int_identity_agreement_patterns_counted), which set-based SQL can only unroll.
"""

import numpy as np
import pyarrow as pa


def level_shares(gammas, counts, levels, weights, smoothing):
    """Per level, the weighted share of pairs at it among pairs where the field is known."""
    known = gammas >= 0
    total = float((weights * counts)[known].sum())
    shares = np.array(
        [float((weights * counts)[gammas == level].sum()) for level in levels], dtype=float
    )
    return (shares + smoothing) / (total + smoothing * len(levels))


def likelihood(gammas, probabilities, fields):
    """Product over `fields` of each pattern's level probability (missing level: 1)."""
    result = np.ones(gammas.shape[0])
    for f in fields:
        levels, values = probabilities[f]
        column = gammas[:, f]
        for level, value in zip(levels, values, strict=True):
            result = np.where(column == level, result * value, result)
    return result


def expectation_maximisation(gammas, counts, m, u, free, learn_m, iterations, smoothing):
    """EM over agreement patterns. `free` fields enter the likelihood (fields a session
    fixes carry no information); m is re-estimated for them when learn_m. Returns the
    match share and m."""
    m = dict(m)
    prior = 0.5
    for _ in range(iterations):
        match = prior * likelihood(gammas, m, free)
        non_match = (1 - prior) * likelihood(gammas, u, free)
        posterior = match / np.maximum(match + non_match, 1e-300)
        prior = float((counts * posterior).sum() / counts.sum())
        if learn_m:
            for f in free:
                levels = m[f][0]
                m[f] = (levels, level_shares(gammas[:, f], counts, levels, posterior, smoothing))
    return prior, m


def model(dbt, session):
    dbt.config(materialized="table")
    iterations = int(dbt.config.get("em_iterations"))
    smoothing = float(dbt.config.get("probability_smoothing"))
    m_floor = float(dbt.config.get("m_floor"))

    levels = (
        dbt.ref("int_identity_comparison_levels")
        .order("field_name, comparison_level desc")
        .to_arrow_table()
        .to_pylist()
    )
    patterns = dbt.ref("int_identity_agreement_patterns_counted").order("all").to_arrow_table()
    profile_count = dbt.ref("int_identity_profiles_grouped").aggregate("count(*)").fetchall()[0][0]

    fields = list(dict.fromkeys(row["field_name"] for row in levels))
    field_levels = {
        f: [row["comparison_level"] for row in levels if row["field_name"] == f] for f in fields
    }
    sets = np.array(patterns.column("training_set").to_pylist())
    gammas_all = np.stack(
        [patterns.column(f"gamma_{f}").to_numpy().astype(int) for f in fields], axis=1
    )
    counts_all = patterns.column("pair_count").to_numpy().astype(float)

    def training_set(name):
        chosen = sets == name
        return gammas_all[chosen], counts_all[chosen]

    # u from random pairs
    gammas, counts = training_set("random")
    # one pseudo-pair per level: a level no random pair shows is rare, not impossible
    u = {
        i: (field_levels[f], level_shares(gammas[:, i], counts, field_levels[f], 1.0, 1.0))
        for i, f in enumerate(fields)
    }

    # m: a starting point leaning to agreement, then one EM session per training set
    def starting_m(i):
        n = len(field_levels[fields[i]])
        values = np.array([0.9] + [0.1 / (n - 1)] * (n - 1))
        return field_levels[fields[i]], values

    initial_m = {i: starting_m(i) for i in range(len(fields))}
    learnt = {i: [] for i in range(len(fields))}
    for name in sorted(set(sets.tolist()) - {"random", "candidates"}):
        gammas, counts = training_set(name)
        if counts.sum() == 0:
            continue
        # a field the session fixes has one level in all its pairs
        free = [i for i in range(len(fields)) if len(set(gammas[:, i].tolist()) - {-1}) > 1]
        _, m = expectation_maximisation(
            gammas, counts, initial_m, u, free, True, iterations, smoothing
        )
        for i in free:
            learnt[i].append(m[i][1])

    # a field no session could learn (no data for it) is learnt over all candidate pairs
    gammas, counts = training_set("candidates")
    if any(not values for values in learnt.values()) and counts.sum():
        _, m = expectation_maximisation(
            gammas, counts, initial_m, u, list(range(len(fields))), True, iterations, smoothing
        )
        for i, values in learnt.items():
            if not values:
                values.append(m[i][1])
    m_final = {}
    for i, values in learnt.items():
        mean = np.mean(values, axis=0) if values else initial_m[i][1]
        floored = np.maximum(mean, m_floor)
        m_final[i] = (field_levels[fields[i]], floored / floored.sum())

    prior = 0.0
    if counts.sum():
        match_share, _ = expectation_maximisation(
            gammas, counts, m_final, u, list(range(len(fields))), False, iterations, smoothing
        )
        all_pairs = profile_count * (profile_count - 1) / 2
        prior = match_share * counts.sum() / all_pairs if all_pairs else 0.0
    prior = min(max(prior, 1e-12), 1 - 1e-12)

    rows = {
        "field_name": ["prior"],
        "comparison_level": [None],
        "level_description": ["chance two random profiles are the same person"],
        "is_term_frequency_adjusted": [False],
        "m_probability": [prior],
        "u_probability": [1 - prior],
    }
    for row in levels:
        i = fields.index(row["field_name"])
        position = field_levels[row["field_name"]].index(row["comparison_level"])
        rows["field_name"].append(row["field_name"])
        rows["comparison_level"].append(row["comparison_level"])
        rows["level_description"].append(row["level_description"])
        rows["is_term_frequency_adjusted"].append(row["is_term_frequency_adjusted"])
        rows["m_probability"].append(float(m_final[i][1][position]))
        rows["u_probability"].append(float(u[i][1][position]))
    table = pa.table(
        {
            **{k: v for k, v in rows.items() if k != "comparison_level"},
            "comparison_level": pa.array(rows["comparison_level"], pa.int32()),
        }
    )
    weights = np.log2(np.array(rows["m_probability"]) / np.array(rows["u_probability"]))
    return table.append_column("match_weight", pa.array(weights))
