"""Blocking rules measured against a truth: which candidate pairs each rule finds, and how
many of the true pairs it reaches (a true pair the blocking misses is never compared, so
no weight can link it).

The rules are read from the flags of intermediate.int_identity_pairs_compared (one
`blocked_by_<rule>` column per rule of identity_blocking_rules, macros/identity_model.sql),
so a new rule shows up here without editing this file. Pairs are pairs of *profiles*
(identical records share one): a true pair is two profiles holding records of one person.
Profiles of one ticketing account are linked by the platform key, blocked or not: those
true pairs count as missed when no rule finds them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

BLOCKED = "intermediate.int_identity_pairs_compared"
STANDARDIZED = "intermediate.int_identity_records_standardized"
SCORED = "intermediate.int_identity_pairs_scored"
PROFILES = "intermediate.int_identity_profiles_grouped"
FLAG_PREFIX = "blocked_by_"
ALL_RULES = "all rules"


def truth_relation(truth_csv: Path) -> str:
    """SQL relation (record_type, record_id, person_id) over a truth file such as
    `<landing>/_truth/source_records.csv`."""
    path = str(truth_csv).replace("'", "''")
    return f"(select record_type, record_id, person_id from read_csv('{path}', all_varchar = true))"


def blocking_rules(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The rules of the run, in declaration order: the `blocked_by_<rule>` columns."""
    schema, table = BLOCKED.split(".")
    rows = con.execute(
        """
        select column_name from information_schema.columns
        where table_schema = ? and table_name = ? and column_name like ?
        order by ordinal_position
        """,
        [schema, table, FLAG_PREFIX + "%"],
    ).fetchall()
    return [name.removeprefix(FLAG_PREFIX) for (name,) in rows]


def _true_pairs(truth_relation: str) -> str:
    """CTEs ending in `true_pairs` (profile_key_a < profile_key_b, the keys candidate pairs
    carry): profiles of one person."""
    return f"""
        profile_person as (
            select distinct p.profile_key, t.person_id
            from {STANDARDIZED} as s
            inner join {PROFILES} as p on s.profile_id = p.profile_id
            inner join {truth_relation} as t
                on s.record_type = t.record_type and s.record_id = cast(t.record_id as varchar)
        ),
        true_pairs as (
            select distinct a.profile_key as profile_key_a, b.profile_key as profile_key_b
            from profile_person as a
            inner join profile_person as b
                on a.person_id = b.person_id and a.profile_key < b.profile_key
        )"""


def blocking_rule_report(con: duckdb.DuckDBPyConnection, truth_relation: str) -> list[dict]:
    """One row per blocking rule, then one for all rules together (any flag):
    `candidate_pairs` it finds, `true_pairs_reached`, `recall` = reached / every true
    profile pair, and `reached_alone` (true pairs no other rule finds: what dropping the
    rule would cost). `truth_relation` is (record_type, record_id, person_id)."""
    rules = blocking_rules(con)
    if not rules:
        raise ValueError(f"{BLOCKED} has no {FLAG_PREFIX}<rule> column")
    flags = {rule: f'"{FLAG_PREFIX}{rule}"' for rule in rules}
    any_flag = " or ".join(flags.values())
    flag_count = " + ".join(f"cast({flag} as integer)" for flag in flags.values())
    measures = []
    for rule, flag in [*flags.items(), (ALL_RULES, f"({any_flag})")]:
        alone = f"{flag} and flag_count = 1" if rule != ALL_RULES else "false"
        measures.append(
            f"count(*) filter (where {flag}), "
            f"count(*) filter (where {flag} and is_true), "
            f"count(*) filter (where {alone} and is_true)"
        )
    row = con.execute(
        f"""
        with {_true_pairs(truth_relation)},
        candidates as (
            select
                p.*,
                {flag_count} as flag_count,
                t.profile_key_a is not null as is_true
            from {BLOCKED} as p
            left join true_pairs as t
                on p.profile_key_a = t.profile_key_a and p.profile_key_b = t.profile_key_b
        )
        select
            (select count(*) from true_pairs),
            {", ".join(measures)}
        from candidates
        """
    ).fetchone()
    true_pairs, counts = int(row[0]), [int(v or 0) for v in row[1:]]
    report = []
    for i, rule in enumerate([*rules, ALL_RULES]):
        candidates, reached, alone = counts[3 * i : 3 * i + 3]
        report.append(
            {
                "rule": rule,
                "candidate_pairs": candidates,
                "true_pairs_reached": reached,
                "true_pairs": true_pairs,
                "recall": reached / true_pairs if true_pairs else 1.0,
                "reached_alone": alone if rule != ALL_RULES else None,
            }
        )
    return report


def veto_count(con: duckdb.DuckDBPyConnection) -> int:
    """Candidate pairs the cannot-link rule forbids linking."""
    return int(con.execute(f"select count(*) from {SCORED} where is_cannot_link").fetchone()[0])


def vetoed_true_pairs(con: duckdb.DuckDBPyConnection, truth_relation: str) -> int:
    """Vetoed pairs that are in fact one person (the cannot-link rule was wrong)."""
    return int(
        con.execute(
            f"""
            with {_true_pairs(truth_relation)}
            select count(*)
            from {SCORED} as p
            inner join true_pairs as t
                on p.profile_key_a = t.profile_key_a and p.profile_key_b = t.profile_key_b
            where p.is_cannot_link
            """
        ).fetchone()[0]
    )


def format_blocking_report(report: list[dict]) -> str:
    header = f"{'blocking rule':<32}{'pairs':>12}{'reached':>10}{'recall':>8}{'alone':>7}"
    lines = [header]
    for row in report:
        alone = "" if row["reached_alone"] is None else row["reached_alone"]
        lines.append(
            f"{row['rule']:<32}{row['candidate_pairs']:>12}{row['true_pairs_reached']:>10}"
            f"{row['recall']:>8.4f}{alone:>7}"
        )
    lines.append(f"{'true profile pairs':<32}{report[-1]['true_pairs']:>22}")
    return "\n".join(lines)
