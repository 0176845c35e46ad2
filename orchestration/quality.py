"""Quality gate: expectation suites as code -> Great Expectations -> Dagster asset checks.

Suites live in ``expectations/<layer>/<table>.yml`` (format: ``expectations/README.md``) and
check the relation ``<layer>.<table>`` of the working DuckDB file. Each suite is loaded into an
ephemeral GX context and validated in SQL on the DuckDB file opened read-only, only for the
time of the validation (the GX-on-DuckDB workaround lives in :mod:`orchestration.gx_duckdb`).

:func:`build_gx_asset_checks` turns every suite file into one Dagster asset check
``gx_<suite>`` on the asset ``[layer, table]``; a suite marked ``blocking: true`` stops the
assets downstream of its table in the same run when an ``error``-severity expectation fails.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from orchestration import data_docs, gx_duckdb
from orchestration.privacy import mask_personal
from orchestration.settings import EXPECTATIONS_DIR, paths, project_var

LAYERS = ("raw", "staging", "intermediate", "marts")
SEVERITIES = ("error", "warning")
UNEXPECTED_ROWS = "unexpected_rows"
_TYPE_ALIASES = {UNEXPECTED_ROWS: "unexpected_rows_expectation"}
_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_VAR = re.compile(r"\{var:([A-Za-z0-9_]+)\}")
_SUITE_KEYS = {"suite", "description", "blocking", "expectations"}
_EXPECTATION_KEYS = {"type", "kwargs", "severity", "description"}
# GX options that are ours to set, not a suite's.
_RESERVED_KWARGS = {"meta", "severity", "result_format", "catch_exceptions", "id"}
DEFAULT_SAMPLE_SIZE = 10
_MAX_SAMPLE_TEXT = 200  # characters kept of one sampled value

log = logging.getLogger(__name__)


class SuiteFormatError(ValueError):
    """A suite file does not follow the format of expectations/README.md."""


# --------------------------------------------------------------------------- suite files


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation as written in a suite file."""

    type: str  # GX snake_case type, or "unexpected_rows"
    kwargs: Mapping[str, Any]
    severity: str = "error"  # error | warning
    description: str | None = None

    @property
    def gx_type(self) -> str:
        return _TYPE_ALIASES.get(self.type, self.type)

    @property
    def column(self) -> str | None:
        col = self.kwargs.get("column")
        if col is None and "column_list" in self.kwargs:
            col = ", ".join(self.kwargs["column_list"])
        return col

    def to_gx(self, index: int) -> Any:
        """The GX expectation object; ``index`` lets a result be traced back to this spec."""
        from great_expectations.expectations.registry import get_expectation_impl

        cls = get_expectation_impl(self.gx_type)
        extra: dict[str, Any] = {"description": self.description} if self.description else {}
        return cls(
            **self.kwargs,
            **extra,
            severity="critical" if self.severity == "error" else "warning",
            catch_exceptions=True,
            meta={"grandstand_index": index},
        )


@dataclass(frozen=True)
class SuiteSpec:
    """A suite file: the expectations on one table."""

    name: str
    layer: str
    table: str
    blocking: bool
    expectations: tuple[ExpectationSpec, ...]
    path: Path
    description: str | None = None

    @property
    def relation(self) -> str:
        return f"{self.layer}.{self.table}"

    @property
    def asset_key(self) -> dg.AssetKey:
        return dg.AssetKey([self.layer, self.table])

    @property
    def check_name(self) -> str:
        return f"gx_{self.name}"


def load_suite(path: Path, *, check_gx: bool = True) -> SuiteSpec:
    """Read and validate one suite file; errors name the file and the expectation.

    ``check_gx`` also builds every expectation with GX, which validates types and kwargs but
    imports GX (3-4 s): Dagster definitions skip it so the code location loads fast, and
    ``run_suite`` and the tests do it.
    """
    path = Path(path)
    layer, table = path.parent.name, path.stem
    where = f"{path}"
    if layer not in LAYERS:
        raise SuiteFormatError(f"{where}: suites live under expectations/<{'|'.join(LAYERS)}>/")
    if not _NAME.match(table):
        raise SuiteFormatError(f"{where}: the file name must be the table name ({_NAME.pattern})")
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise SuiteFormatError(f"{where}: not valid YAML: {e}") from e
    if not isinstance(doc, dict):
        raise SuiteFormatError(f"{where}: expected a mapping with suite, blocking, expectations")
    unknown = set(doc) - _SUITE_KEYS
    if unknown:
        raise SuiteFormatError(f"{where}: unknown keys {sorted(unknown)}")
    name = doc.get("suite")
    if not isinstance(name, str) or not _NAME.match(name):
        raise SuiteFormatError(f"{where}: 'suite' must be a name matching {_NAME.pattern}")
    blocking = doc.get("blocking")
    if not isinstance(blocking, bool):
        raise SuiteFormatError(f"{where}: 'blocking' must be true or false")
    items = doc.get("expectations")
    if not isinstance(items, list) or not items:
        raise SuiteFormatError(f"{where}: 'expectations' must be a non-empty list")
    specs = tuple(
        _load_expectation(item, f"{where}: expectation #{i + 1}") for i, item in enumerate(items)
    )
    suite = SuiteSpec(
        name=name,
        layer=layer,
        table=table,
        blocking=blocking,
        expectations=specs,
        path=path,
        description=doc.get("description"),
    )
    for i, spec in enumerate(specs if check_gx else ()):  # GX validates types and kwargs
        try:
            spec.to_gx(i)
        except Exception as e:
            raise SuiteFormatError(
                f"{where}: expectation #{i + 1} ({spec.type}) is not valid for GX: {e}"
            ) from e
    return suite


def _load_expectation(item: Any, where: str) -> ExpectationSpec:
    if not isinstance(item, dict):
        raise SuiteFormatError(f"{where}: expected a mapping with type and kwargs")
    unknown = set(item) - _EXPECTATION_KEYS
    if unknown:
        raise SuiteFormatError(f"{where}: unknown keys {sorted(unknown)}")
    etype = item.get("type")
    if not isinstance(etype, str):
        raise SuiteFormatError(f"{where}: 'type' is required")
    if "regex" in etype:
        raise SuiteFormatError(
            f"{where}: {etype} is not supported by GX on DuckDB; write an unexpected_rows "
            "expectation with regexp_matches(...) instead"
        )
    kwargs = item.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        raise SuiteFormatError(f"{where}: 'kwargs' must be a mapping")
    reserved = set(kwargs) & _RESERVED_KWARGS
    if reserved:
        raise SuiteFormatError(f"{where}: kwargs {sorted(reserved)} are set by Grandstand")
    severity = item.get("severity", "error")
    if severity not in SEVERITIES:
        raise SuiteFormatError(f"{where}: 'severity' must be one of {SEVERITIES}")
    description = item.get("description")
    if _TYPE_ALIASES.get(etype, etype) == _TYPE_ALIASES[UNEXPECTED_ROWS] and not description:
        raise SuiteFormatError(f"{where}: an unexpected_rows expectation needs a description")
    kwargs = {name: _setting(value, where) for name, value in kwargs.items()}
    return ExpectationSpec(type=etype, kwargs=kwargs, severity=severity, description=description)


def _setting(value: Any, where: str) -> Any:
    """A kwarg written ``{var: name}``, or ``{var:name}`` inside a query, takes the dbt var's
    value (dbt_project.yml), so a threshold of the quality policy has one home."""
    try:
        if isinstance(value, dict) and set(value) == {"var"}:
            return project_var(value["var"])
        if isinstance(value, str):
            return _VAR.sub(lambda m: str(project_var(m.group(1))), value)
    except KeyError as e:
        raise SuiteFormatError(f"{where}: no dbt var {e}") from None
    return value


def discover_suites(
    expectations_dir: Path | None = None, *, check_gx: bool = True
) -> list[SuiteSpec]:
    """Every suite under ``expectations/<layer>/*.yml``, in a stable order."""
    root = Path(expectations_dir or EXPECTATIONS_DIR)
    suites = [
        load_suite(p, check_gx=check_gx)
        for layer in LAYERS
        for p in sorted((root / layer).glob("*.yml")) + sorted((root / layer).glob("*.yaml"))
    ]
    seen: dict[tuple[str, str], Path] = {}
    for s in suites:
        key = (s.relation, s.name)
        if key in seen:
            raise SuiteFormatError(
                f"{s.path}: suite {s.name} on {s.relation} already in {seen[key]}"
            )
        seen[key] = s.path
    return suites


# --------------------------------------------------------------------------- validation


@dataclass(frozen=True)
class ExpectationOutcome:
    """The result of one expectation, reduced to what a person needs to act on it."""

    type: str
    column: str | None
    severity: str
    success: bool
    description: str | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    element_count: int | None = None
    observed_value: Any = None
    sample: list[Any] = field(default_factory=list)  # unexpected values, or rows (dicts)
    error: str | None = None  # the expectation could not be evaluated

    def summary(self) -> str:
        what = f"{self.type}({self.column})" if self.column else self.type
        if self.description:
            what += f" [{self.description}]"
        if self.error:
            return f"{what}: could not run: {self.error}"
        if self.unexpected_count is not None:
            pct = _percent(self.unexpected_percent)
            detail = f"{self.unexpected_count} unexpected{pct}"
        else:
            detail = f"observed {self.observed_value!r}"
        if self.sample:
            detail += f", e.g. {_short(self.sample[:3])}"
        return f"{what}: {detail}"

    def as_metadata(self, relation: str) -> dict[str, Any]:
        return {
            "table": relation,
            "expectation": self.type,
            "column": self.column,
            "severity": self.severity,
            "description": self.description,
            "unexpected_count": self.unexpected_count,
            "unexpected_percent": self.unexpected_percent,
            "observed_value": _jsonable(self.observed_value),
            "sample": _jsonable(self.sample),
            "error": self.error,
        }


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    table: str  # schema.table
    blocking: bool
    success: bool
    results: tuple[ExpectationOutcome, ...]
    duration_s: float
    error: str | None = None  # the suite could not run at all (file or table missing, ...)

    @property
    def failures(self) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success]

    @property
    def errors(self) -> list[ExpectationOutcome]:
        """Failed expectations of severity error (those that block)."""
        return [r for r in self.failures if r.severity == "error"]

    @property
    def severity(self) -> str:
        """``error`` when the suite could not run or an error-severity expectation failed."""
        return "error" if self.error or self.errors else "warning"

    def describe(self) -> str:
        total = len(self.results)
        if self.error:
            return f"Suite {self.suite} could not validate {self.table}: {self.error}"
        if self.success:
            return f"{total}/{total} expectations passed on {self.table}."
        head = f"{len(self.failures)} of {total} expectations failed on {self.table}"
        if not self.errors:
            head += " (warnings only)"
        return head + ": " + "; ".join(f.summary() for f in self.failures)

    def to_check_result(self) -> dg.AssetCheckResult:
        failed = [f.as_metadata(self.table) for f in self.failures]
        metadata: dict[str, Any] = {
            "table": self.table,
            "suite": self.suite,
            "expectations": len(self.results),
            "failed": len(self.failures),
            "failed_errors": len(self.errors),
            "duration_s": round(self.duration_s, 3),
            "failed_expectations": dg.MetadataValue.json(failed),
        }
        if self.error:
            metadata["error"] = self.error
        if failed:
            metadata["summary"] = dg.MetadataValue.md(_markdown(self))
        return dg.AssetCheckResult(
            passed=self.success,
            severity=(
                dg.AssetCheckSeverity.ERROR
                if self.severity == "error"
                else dg.AssetCheckSeverity.WARN
            ),
            metadata=metadata,
            description=self.describe(),
        )


def run_suite(
    suite_path: Path,
    warehouse_path: Path,
    *,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    docs_run_id: str | None = None,
) -> SuiteResult:
    """Validate one suite file against the DuckDB file, in SQL, holding the file read-only
    only for the time of the validation. With ``docs_run_id``, GX's Data Docs page of the
    validation is written beside the warehouse for that run (:mod:`orchestration.data_docs`)."""
    started = time.perf_counter()
    suite = load_suite(Path(suite_path))
    warehouse_path = Path(warehouse_path)

    def failed(error: str) -> SuiteResult:
        return SuiteResult(
            suite=suite.name,
            table=suite.relation,
            blocking=suite.blocking,
            success=False,
            results=(),
            duration_s=time.perf_counter() - started,
            error=error,
        )

    if not warehouse_path.exists():
        return failed(f"warehouse file {warehouse_path} does not exist")

    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    try:
        with gx_duckdb.duckdb_datasource(context, warehouse_path) as datasource:
            try:
                # "schema.table" as the table name: GX 1.14+ deprecates schema_name, and its
                # replacement (a schema in the datasource config) does not exist for DuckDB.
                asset = datasource.add_table_asset(name=suite.relation, table_name=suite.relation)
            except Exception as e:  # GX tests the table exists when the asset is added
                return failed(f"table {suite.relation} cannot be read: {_first_line(e)}")
            batch = asset.add_batch_definition_whole_table("whole_table").get_batch()
            gx_suite = gx.ExpectationSuite(name=suite.name)
            for i, spec in enumerate(suite.expectations):
                gx_suite.add_expectation(spec.to_gx(i))
            validation = batch.validate(
                gx_suite,
                result_format={
                    "result_format": "SUMMARY",
                    "partial_unexpected_count": sample_size,
                },
            )
            outcomes: dict[int, ExpectationOutcome] = {}
            for res in validation.results:
                index = int(res.expectation_config.meta["grandstand_index"])
                spec = suite.expectations[index]
                sample_rows = None
                if not res.success and spec.gx_type == _TYPE_ALIASES[UNEXPECTED_ROWS]:
                    # SUMMARY keeps no rows for this type; fetch a sample (GX caps it at 200).
                    detailed = batch.validate(spec.to_gx(index), result_format="COMPLETE")
                    rows = ((detailed.result or {}).get("details") or {}).get("unexpected_rows")
                    sample_rows = list(rows or [])[:sample_size]
                outcomes[index] = _outcome(spec, res, sample_rows, sample_size)
        if docs_run_id is not None:
            _write_data_docs(suite, validation, warehouse_path, docs_run_id)
    except Exception as e:  # the file is locked by a writer, DuckDB version mismatch, ...
        log.exception("validation of %s failed", suite.path)
        return failed(f"{type(e).__name__}: {_first_line(e)}")
    results = tuple(
        outcomes.get(i)
        or ExpectationOutcome(
            type=spec.type,
            column=spec.column,
            severity=spec.severity,
            success=False,
            description=spec.description,
            error="GX returned no result for this expectation",
        )
        for i, spec in enumerate(suite.expectations)
    )
    return SuiteResult(
        suite=suite.name,
        table=suite.relation,
        blocking=suite.blocking,
        success=all(r.success for r in results),
        results=results,
        duration_s=time.perf_counter() - started,
    )


def _write_data_docs(suite: SuiteSpec, validation: Any, warehouse_path: Path, run_id: str) -> None:
    """The suite's Data Docs page; a page that cannot be drawn is said, not a failed check."""
    try:
        data_docs.write_suite_page(
            data_docs.staging_dir(warehouse_path),
            suite=suite.name,
            table=suite.relation,
            success=bool(validation.success),
            run_id=run_id,
            page=data_docs.render_validation(validation),
        )
    except Exception:
        log.warning("no Data Docs page for suite %s", suite.name, exc_info=True)


def _outcome(
    spec: ExpectationSpec, res: Any, sample_rows: list[Any] | None, sample_size: int
) -> ExpectationOutcome:
    result = dict(res.result or {})
    error = _exception_message(res.exception_info)
    # a sample goes to the check's result, Dagster's event log and the run's log: a
    # person's values in it are withheld (orchestration/privacy.py)
    if sample_rows is not None:
        sample: list[Any] = [mask_personal(row) for row in sample_rows]
    else:
        sample = []
        for value in result.get("partial_unexpected_list") or []:
            masked = mask_personal(value, spec.column)
            if masked not in sample:
                sample.append(masked)
        sample = sample[:sample_size]
    unexpected_count = result.get("unexpected_count")
    observed = result.get("observed_value")
    if unexpected_count is None and spec.gx_type == _TYPE_ALIASES[UNEXPECTED_ROWS]:
        unexpected_count, observed = observed, None
    return ExpectationOutcome(
        type=spec.type,
        column=spec.column,
        severity=spec.severity,
        success=bool(res.success) and error is None,
        description=spec.description,
        unexpected_count=unexpected_count,
        unexpected_percent=result.get("unexpected_percent"),
        element_count=result.get("element_count"),
        observed_value=observed,
        sample=sample,
        error=error,
    )


# --------------------------------------------------------------------------- Dagster


WarehouseLocator = Callable[[], Path]


def build_gx_asset_checks(
    expectations_dir: Path | None = None,
    warehouse: Path | WarehouseLocator | None = None,
    *,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
) -> list[dg.AssetChecksDefinition]:
    """One Dagster asset check per suite file.

    ``warehouse`` is the DuckDB file, or a function returning it, resolved when the check
    runs; the default is ``orchestration.settings.paths().warehouse``.
    """
    root = Path(expectations_dir or EXPECTATIONS_DIR)
    if warehouse is None:

        def locate() -> Path:
            return paths().warehouse

    elif callable(warehouse):
        locate = warehouse
    else:
        fixed = Path(warehouse)

        def locate() -> Path:
            return fixed

    return [
        _gx_check(suite, root, locate, sample_size)
        for suite in discover_suites(root, check_gx=False)
    ]


def _gx_check(
    suite: SuiteSpec, root: Path, locate: WarehouseLocator, sample_size: int
) -> dg.AssetChecksDefinition:
    description = suite.description or f"Great Expectations suite {suite.name} on {suite.relation}"
    try:
        suite_file = str(suite.path.relative_to(root.parent))
    except ValueError:
        suite_file = str(suite.path)

    @dg.asset_check(
        asset=suite.asset_key,
        name=suite.check_name,
        blocking=suite.blocking,
        description=description,
        metadata={"suite_file": suite_file, "expectations": len(suite.expectations)},
    )
    def _check(context) -> dg.AssetCheckResult:  # no annotation: Dagster can't read a string one
        result = run_suite(
            suite.path, locate(), sample_size=sample_size, docs_run_id=context.run.run_id
        )
        (context.log.info if result.success else context.log.warning)(result.describe())
        return result.to_check_result()

    return _check


# --------------------------------------------------------------------------- helpers


def _exception_message(info: Mapping[str, Any] | None) -> str | None:
    """GX reports an exception either flat or keyed by the metric that raised it."""
    if not info:
        return None
    candidates = [info, *(v for v in info.values() if isinstance(v, Mapping))]
    for c in candidates:
        if c.get("raised_exception"):
            return _first_line(c.get("exception_message") or "exception")
    return None


def _percent(value: float | None) -> str:
    if value is None:
        return ""
    return " (<0.01%)" if 0 < value < 0.01 else f" ({value:.2f}%)"


def _first_line(e: object) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= _MAX_SAMPLE_TEXT else value[:_MAX_SAMPLE_TEXT] + "…"
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Sequence | set | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return _jsonable(str(value))


def _short(value: Any) -> str:
    text = json.dumps(_jsonable(value), ensure_ascii=False, default=str)
    return text if len(text) <= 300 else text[:300] + "…"


def _markdown(result: SuiteResult) -> str:
    lines = [
        "| expectation | column | severity | unexpected | sample |",
        "| --- | --- | --- | --- | --- |",
    ]
    for f in result.failures:
        count = f.error or (
            f"{f.unexpected_count}" if f.unexpected_count is not None else repr(f.observed_value)
        )
        sample = _short(f.sample[:5]).replace("|", "\\|") if f.sample else ""
        lines.append(f"| {f.type} | {f.column or ''} | {f.severity} | {count} | {sample} |")
    return "\n".join(lines)
