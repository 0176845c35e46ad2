"""Adding an identity comparison is one edit: its declaration in macros/identity_model.sql.

A copy of the dbt project gets one more comparison (the birth year, on a profile column no
pair carried before) and nothing else; on FEBRL1 the identity models then compare every
candidate and random pair on it, learn its m and u, weigh it into every score and quote
it as evidence -- the levels table, the gamma CASE, the estimation, the weights and the
evidence text all come from the one list.
"""

import shutil

import duckdb
import pytest

from orchestration.settings import DBT_PROJECT_DIR, REPO_ROOT
from tests.bench.febrl_bench import grandstand_on_febrl

DECLARATIONS = "macros/identity_model.sql"
# The last comparison's closing, where the list of comparisons ends.
LIST_END = "\n    ]) }}\n{%- endmacro %}"
BIRTH_YEAR = """
        {'name': 'birth_year', 'column': 'birth_date', 'tf': false, 'pair_columns': ['birth_date'],
         'levels': [
            [1, 'same birth year', dbt.date_trunc('year', 'birth_date_l') ~ ' = '
                ~ dbt.date_trunc('year', 'birth_date_r')],
            [0, 'different', 'true'],
        ]},"""


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """FEBRL1 resolved by a copy of the dbt project with the birth-year comparison added."""
    work = tmp_path_factory.mktemp("declarations")
    project = work / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    shutil.copytree(REPO_ROOT / "seeds", work / "seeds")
    declarations = project / DECLARATIONS
    text = declarations.read_text()
    # no comparison reads the birth date itself yet: the pairs do not carry it
    assert "birth_year" not in text and "birth_date_l " not in text
    end = text.index(LIST_END)
    declarations.write_text(text[:end] + BIRTH_YEAR + text[end:])
    ours = grandstand_on_febrl("febrl1", work / "run", project=project)
    return work / "run" / "warehouse.duckdb", ours


def query(warehouse, sql: str) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_new_comparison_has_its_levels(edited):
    warehouse, _ = edited
    levels = query(
        warehouse,
        "select comparison_level, level_description"
        " from intermediate.int_identity_comparison_levels"
        " where field_name = 'birth_year' order by comparison_level desc",
    )
    assert levels == [(1, "same birth year"), (0, "different")]


def test_every_pair_is_compared_on_it(edited):
    warehouse, _ = edited
    for model in ("int_identity_pairs_compared", "int_identity_random_pairs_compared"):
        gammas = query(
            warehouse,
            f"select gamma_birth_year, count(*) from intermediate.{model} group by 1 order by 1",
        )
        # FEBRL1 leaves some dates of birth empty (-1), and pairs both agree and differ
        assert {gamma for gamma, _ in gammas} >= {0, 1}, (model, gammas)


def test_its_weights_are_learnt_and_weigh_in_the_score(edited):
    warehouse, _ = edited
    ((m, u, weight),) = query(
        warehouse,
        "select m_probability, u_probability, match_weight"
        " from intermediate.int_identity_match_weights_estimated"
        " where field_name = 'birth_year' and comparison_level = 1",
    )
    # one person's records share a birth year far more often than two random people's
    assert m > 10 * u and weight > 0, (m, u, weight)
    evidence = query(
        warehouse,
        "select count(*) from intermediate.int_identity_pairs_scored"
        " where is_link and evidence like '%birth_year: same birth year;%'",
    )
    assert evidence[0][0] > 0


def test_the_resolution_stays_sound(edited):
    _, ours = edited
    # the unedited project measures precision 1.0, F1 0.982 on FEBRL1 (test_identity_febrl)
    assert ours.run.scores.precision >= 0.99 and ours.run.scores.f1 >= 0.97, ours.run.scores
