"""Value kinds of the source contract: every form real exports write a value in, and the
canonical text the raw layer stores it as.

Real exports are not our generator: a date column may carry a kickoff time, a timestamp may
come with or without seconds, in ISO form with ``T`` and ``Z``, an amount may be written
``1 234,50``, ``1.234,50`` or ``1,234.50``. Ingestion turns every typed value into one
canonical text form, vectorised in DuckDB (:func:`check_sql`), or sets the row aside
with a reason when the value is truly ambiguous or impossible. Staging then only casts
canonical text (portable SQL, see ``dbt_project/macros/parsing.sql``). Text columns are
stored exactly as written.

Canonical forms:

=================  ==================================================================
date               ``YYYY-MM-DD``; ``YYYY-MM-DD HH:MM:SS[+HH:MM]`` when a time was given
local_timestamp    ``YYYY-MM-DD HH:MM:SS`` club time, or ``...+HH:MM`` when the export
utc_timestamp      ``YYYY-MM-DD HH:MM:SS`` UTC     }  wrote a zone (``Z`` is ``+00:00``)
offset_timestamp   ``YYYY-MM-DD HH:MM:SS+HH:MM`` (the zone is required)
decimal            ``-1234.50`` (no thousands separator, a point)
integer            ``-1234`` (fits a 64-bit integer)
epoch_seconds      ``1759823426`` (between 1970 and 2100)
boolean            ``true`` / ``false``
=================  ==================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.settings import sql_literal

TEXT = "text"


@dataclass(frozen=True)
class ValueKind:
    name: str
    accepts: str  # the forms accepted, for error messages, asset metadata and docs


KINDS: dict[str, ValueKind] = {
    k.name: k
    for k in (
        ValueKind(TEXT, "any text"),
        ValueKind(
            "date",
            "a date DD/MM/YYYY or YYYY-MM-DD (also D/M/YYYY, DD-MM-YYYY, DD.MM.YYYY), "
            "optionally with a time",
        ),
        ValueKind(
            "local_timestamp",
            "a timestamp DD/MM/YYYY HH:MM[:SS] or YYYY-MM-DD[T]HH:MM[:SS] in club time, "
            "or with a zone (Z, +HH:MM)",
        ),
        ValueKind(
            "utc_timestamp",
            "a timestamp YYYY-MM-DD[T]HH:MM[:SS] in UTC (or with a zone: Z, +HH:MM)",
        ),
        ValueKind(
            "offset_timestamp", "a timestamp YYYY-MM-DD HH:MM[:SS] with its UTC offset (+HHMM)"
        ),
        ValueKind(
            "decimal",
            "a number (12,50 / 12.50 / 1 234,50 / 1.234,50 / 1,234.50, optionally negative)",
        ),
        ValueKind("integer", "a whole number (1234 or 1 234)"),
        ValueKind("epoch_seconds", "epoch seconds between 1970 and 2100"),
        ValueKind("boolean", "a yes/no value (O/N, Oui/Non, Yes/No, true/false, 1/0)"),
    )
}

TRUE_WORDS = ("o", "oui", "y", "yes", "true", "vrai", "1")
FALSE_WORDS = ("n", "non", "no", "false", "faux", "0")
MIN_YEAR, MAX_YEAR = 1900, 2100
MAX_EPOCH_SECONDS = 4_102_444_800  # 2100-01-01 UTC: beyond it a value is not epoch seconds
MAX_DECIMAL_DIGITS = 16  # integer digits of a decimal(18, 2)


@dataclass(frozen=True)
class ColumnRule:
    """How one raw column is checked: its kind and the file's conventions."""

    kind: str
    decimal_mark: str = "."  # the file's decimal separator, decides '1.234' vs '1,234'
    non_negative: bool = False  # the contract forbids a negative value


@dataclass(frozen=True)
class CheckSql:
    """DuckDB SQL that checks one column's values and makes them canonical.

    ``stages`` are the expressions each value needs more than once, computed once: each
    stage is a list of (alias, expression) reading the column and the earlier stages'
    aliases, for the caller to select in nested queries, innermost first. Written inline,
    DuckDB evaluated the same regular expression up to thirty times per value, and loading
    was bound by it. ``value`` (the canonical text) and ``problem`` (NULL when the value is
    valid, else why not: "is ambiguous: ...", to be prefixed with the column and the value)
    read the column and every alias, for a non-empty value.
    """

    stages: tuple[tuple[tuple[str, str], ...], ...]
    value: str
    problem: str


def _squeezed(col: str) -> str:
    """Trimmed, with every run of spaces (no-break and narrow no-break too) one space."""
    return rf"trim(regexp_replace({col}, '[\s\x{{00A0}}\x{{202F}}]+', ' ', 'g'))"


# A French day-first date (D/M/YYYY, DD-MM-YYYY, DD.MM.YYYY) becomes ISO, then one ISO
# pattern takes the parts: date, optional time (HH:MM, HHhMM, seconds, fraction), zone.
_FRENCH_DATE = r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})((?:[ T].*)?)$"
_ISO_PARTS = (
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[ T](\d{1,2})[:h](\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)? ?(Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)


DATETIME_KINDS = ("date", "local_timestamp", "utc_timestamp", "offset_timestamp")


def _datetime_sql(col: str, kind: str, prefix: str) -> CheckSql:
    """A date or time: its text squeezed, then its parts (a struct: y, m, d, hh, mi, ss,
    tz), then its day and its moment."""
    text, p, day, moment = (f"{prefix}{name}" for name in ("text", "parts", "day", "moment"))
    iso = rf"regexp_replace({text}, {sql_literal(_FRENCH_DATE)}, '\3-\2-\1\4')"
    parts = (
        f"regexp_extract({iso}, {sql_literal(_ISO_PARTS)}, ['y', 'm', 'd', 'hh', 'mi', 'ss', 'tz'])"
    )
    day_sql = f"try_cast(nullif({p}.y, '') || '-' || {p}.m || '-' || {p}.d AS DATE)"
    moment_sql = (
        f"try_cast(nullif({p}.y, '') || '-' || {p}.m || '-' || {p}.d || ' ' || "
        f"coalesce(nullif({p}.hh, ''), '0') || ':' || coalesce(nullif({p}.mi, ''), '0') || "
        f"':' || coalesce(nullif({p}.ss, ''), '0') AS TIMESTAMP)"
    )
    zone = (
        f"CASE {p}.tz WHEN '' THEN '' WHEN 'Z' THEN '+00:00' ELSE left({p}.tz, 3) || ':' || "
        f"coalesce(nullif(substr(replace({p}.tz, ':', ''), 4, 2), ''), '00') END"
    )
    has_time = f"{p}.hh <> ''"
    stamped = f"strftime({moment}, '%Y-%m-%d %H:%M:%S') || {zone}"
    if kind == "date":
        value = f"CASE WHEN {has_time} THEN {stamped} ELSE strftime({day}, '%Y-%m-%d') END"
    else:
        value = stamped
    problem = (
        f"CASE WHEN {p}.y = '' THEN {sql_literal('is not ' + KINDS[kind].accepts)} "
        f"WHEN {day} IS NULL OR {moment} IS NULL THEN 'is not a real calendar date or time' "
        f"WHEN year({day}) NOT BETWEEN {MIN_YEAR} AND {MAX_YEAR} "
        f"THEN 'has a year outside {MIN_YEAR}-{MAX_YEAR}' "
    )
    if kind == "offset_timestamp":
        problem += f"WHEN {p}.tz = '' THEN 'has no UTC offset (+HHMM): its time zone is unknown' "
    stages = (
        ((text, _squeezed(col)),),
        ((p, parts),),
        ((day, day_sql), (moment, moment_sql)),
    )
    return CheckSql(stages, value, problem + "END")


def _number_body_sql(body: str, decimal_mark: str) -> tuple[str, str]:
    """(canonical digits of an unsigned number or NULL, the problem when NULL)."""
    other = "," if decimal_mark == "." else "."
    single = r"^(\d+)[.,](\d+)$"
    # One separator followed by exactly three digits, and not the file's decimal mark:
    # 1.234 in a file with decimal commas may be 1234 or 1.234.
    ambiguous = (
        f"regexp_full_match({body}, '[1-9][0-9]{{0,2}}[{other}][0-9]{{3}}')"
        if other == "."
        else f"regexp_full_match({body}, '[1-9][0-9]{{0,2}}{other}[0-9]{{3}}')"
    )
    # Grouped thousands: (shape, SQL turning it into digits and a decimal point).
    grouped = (
        (
            r"\d{1,3}([ ']\d{3})+([.,]\d+)?",
            f"replace(regexp_replace({body}, '[ '']', '', 'g'), ',', '.')",
        ),
        (r"\d{1,3}(\.\d{3})+,\d+", f"replace(replace({body}, '.', ''), ',', '.')"),
        (r"\d{1,3}(,\d{3})+\.\d+", f"replace({body}, ',', '')"),
        (r"\d{1,3}(\.\d{3}){2,}", f"replace({body}, '.', '')"),
        (r"\d{1,3}(,\d{3}){2,}", f"replace({body}, ',', '')"),
    )
    value = (
        f"CASE WHEN regexp_full_match({body}, '[0-9]+') THEN {body} "
        f"WHEN {ambiguous} THEN NULL "
        f"WHEN regexp_full_match({body}, {sql_literal(single[1:-1])}) "
        f"THEN replace({body}, ',', '.') "
        + " ".join(
            f"WHEN regexp_full_match({body}, {sql_literal(shape)}) THEN {sql}"
            for shape, sql in grouped
        )
        + " END"
    )
    why_ambiguous = (
        f"is ambiguous: '{other}' may separate thousands or decimals "
        f"(the file writes decimals with '{decimal_mark}')"
    )
    problem = (
        f"CASE WHEN {ambiguous} THEN {sql_literal(why_ambiguous)} "
        f"ELSE {sql_literal('is not ' + KINDS['decimal'].accepts)} END"
    )
    return value, problem


def _signed_sql(col: str, rule: ColumnRule, prefix: str) -> CheckSql:
    """Decimals and integers: a leading -, + or U+2212 minus, then the digits. Stages: the
    text squeezed; its sign and its body; the body's canonical digits."""
    text, negative, body, digits = (
        f"{prefix}{name}" for name in ("text", "negative", "body", "digits")
    )
    if rule.kind != "decimal":
        digits_sql = (
            rf"CASE WHEN regexp_full_match({body}, '\d{{1,3}}([ '']\d{{3}})+|\d+') "
            f"THEN regexp_replace({body}, '[ '']', '', 'g') END"
        )
        not_number = sql_literal("is not " + KINDS[rule.kind].accepts)
    else:
        digits_sql, not_number = _number_body_sql(body, rule.decimal_mark)
    value = f"CASE WHEN {negative} THEN '-' ELSE '' END || {digits}"
    integer_digits = f"length(split_part({digits}, '.', 1))"
    problem = f"CASE WHEN {digits} IS NULL THEN {not_number} "
    if rule.non_negative:
        problem += (
            f"WHEN {negative} AND try_cast({value} AS DOUBLE) <> 0 "
            "THEN 'is negative, which the contract forbids here' "
        )
    if rule.kind == "decimal":
        problem += (
            f"WHEN {integer_digits} > {MAX_DECIMAL_DIGITS} "
            f"THEN 'is out of range (more than {MAX_DECIMAL_DIGITS} digits)' "
        )
    else:
        problem += f"WHEN try_cast({value} AS BIGINT) IS NULL THEN 'is out of range' "
    if rule.kind == "epoch_seconds":
        problem += (
            f"WHEN try_cast({value} AS BIGINT) NOT BETWEEN 0 AND {MAX_EPOCH_SECONDS} "
            "THEN 'is not epoch seconds between 1970 and 2100' "
        )
    stages = (
        ((text, _squeezed(col)),),
        (
            (negative, rf"regexp_matches({text}, '^[-\x{{2212}}]')"),
            (body, rf"regexp_replace({text}, '^[-+\x{{2212}}] ?', '')"),
        ),
        ((digits, digits_sql),),
    )
    return CheckSql(stages, value, problem + "END")


def check_sql(col: str, rule: ColumnRule, prefix: str) -> CheckSql:
    """The checks of a column of the rule's kind; ``prefix`` makes its aliases unique."""
    kind = rule.kind
    if kind in DATETIME_KINDS:
        return _datetime_sql(col, kind, prefix)
    if kind in ("decimal", "integer", "epoch_seconds"):
        return _signed_sql(col, rule, prefix)
    if kind == "boolean":
        word = f"{prefix}word"
        trues = ", ".join(map(sql_literal, TRUE_WORDS))
        falses = ", ".join(map(sql_literal, FALSE_WORDS))
        value = (
            f"CASE WHEN {word} IN ({trues}) THEN 'true' WHEN {word} IN ({falses}) THEN 'false' END"
        )
        not_boolean = sql_literal("is not " + KINDS[kind].accepts)
        return CheckSql(
            (((word, f"lower({_squeezed(col)})"),),),
            value,
            f"CASE WHEN {value} IS NULL THEN {not_boolean} END",
        )
    raise ValueError(f"no normaliser for value kind {kind!r}")
