"""Vectorised value formatting: numbers and instants -> the text forms the tools write.

Every function returns a pyarrow string array; a null means an empty field. Instants are
UTC epoch seconds, dates are epoch days, money is integer cents.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .timeline import DAY, paris_offset

Strings = pa.Array


def text(values) -> Strings:
    """Any array-like of strings (None, NaN or pandas NA = empty) as a pyarrow string array."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if isinstance(values, pa.Array):
        return values.cast(pa.string())
    return pa.array(values, type=pa.string(), from_pandas=True)


def join(*parts, sep: str = "") -> Strings:
    """Element-wise concatenation of string arrays and scalar strings."""
    return pc.binary_join_element_wise(*parts, sep)


def blank_where(values: Strings, mask) -> Strings:
    """Empty the field where `mask` is true."""
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), pa.scalar(None, pa.string()), values)


def choose(index: np.ndarray, *options: Strings) -> Strings:
    """Element-wise pick among equally long string arrays."""
    return pc.choose(pa.array(np.asarray(index, dtype=np.int8)), *options)


def substring(values: Strings, start: int, stop: int) -> Strings:
    return pc.utf8_slice_codeunits(values, start, stop)


def integer(values, blank=None) -> Strings:
    out = pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())
    return out if blank is None else blank_where(out, blank)


def zero_pad(values, width: int) -> Strings:
    return pc.utf8_lpad(integer(values), width, "0")


def grouped(values, separator: str) -> Strings:
    """Whole numbers with their thousands set apart: 1234567 -> '1 234 567'."""
    values = np.asarray(values, dtype=np.int64)
    out = integer(values)
    thousands = values // 1000
    if separator and (thousands > 0).any():
        out = pc.if_else(
            pa.array(thousands > 0),
            join(grouped(thousands, separator), separator, zero_pad(values % 1000, 3)),
            out,
        )
    return out


def money(cents, decimal_mark: str = ".", blank=None, thousands: str = "") -> Strings:
    """Integer cents -> '12.50' (or '12,50' with a decimal comma; '1 234,50' with a
    thousands separator)."""
    cents = np.asarray(cents, dtype=np.int64)
    sign = pa.array(np.where(cents < 0, "-", ""))
    units = grouped(np.abs(cents) // 100, thousands)
    out = join(sign, units, decimal_mark, zero_pad(np.abs(cents) % 100, 2))
    return out if blank is None else blank_where(out, blank)


def _iso(seconds: np.ndarray) -> Strings:
    """'YYYY-MM-DD HH:MM:SS' of epoch seconds taken as wall-clock time."""
    return pa.array(np.asarray(seconds, dtype=np.int64).astype("datetime64[s]")).cast(pa.string())


def utc_iso(utc) -> Strings:
    return _iso(utc)


def paris_iso(utc) -> Strings:
    utc = np.asarray(utc, dtype=np.int64)
    return _iso(utc + paris_offset(utc))


def shopify_timestamp(utc, blank=None) -> Strings:
    """'YYYY-MM-DD HH:MM:SS +0100' in Paris local time, offset by summer time."""
    utc = np.asarray(utc, dtype=np.int64)
    offset = paris_offset(utc)
    out = join(_iso(utc + offset), pa.array(np.where(offset == 7200, " +0200", " +0100")))
    return out if blank is None else blank_where(out, blank)


def fr_timestamp(utc, with_seconds=True, blank=None) -> Strings:
    """'DD/MM/YYYY HH:MM:SS' (or without seconds) in Paris local time."""
    iso = paris_iso(utc)
    part = partial(substring, iso)
    seconds = pc.if_else(
        pa.array(np.broadcast_to(np.asarray(with_seconds, dtype=bool), (len(iso),))),
        part(16, 19),
        "",
    )
    out = join(part(8, 10), "/", part(5, 7), "/", part(0, 4), " ", part(11, 16), seconds)
    return out if blank is None else blank_where(out, blank)


def paris_iso_t(utc) -> Strings:
    """'YYYY-MM-DDTHH:MM:SS' in Paris local time, without a zone."""
    iso = paris_iso(utc)
    return join(substring(iso, 0, 10), "T", substring(iso, 11, 19))


def iso_date(days, blank=None) -> Strings:
    out = pc.utf8_slice_codeunits(_iso(np.asarray(days, dtype=np.int64) * DAY), 0, 10)
    return out if blank is None else blank_where(out, blank)


def fr_date(days, blank=None) -> Strings:
    iso = iso_date(days)
    part = partial(substring, iso)
    out = join(part(8, 10), "/", part(5, 7), "/", part(0, 4))
    return out if blank is None else blank_where(out, blank)


def flag(values, yes: str, no: str, blank=None) -> Strings:
    out = pa.array(np.where(np.asarray(values, dtype=bool), yes, no))
    return out if blank is None else blank_where(out, blank)


def join_present(parts: list[Strings], sep: str) -> Strings:
    """Join each row's non-null values with `sep`; null when none. (pyarrow's own
    null_handling='skip' drops rows whose values are all null, so it is not used.)"""
    pieces = [pc.if_else(pc.is_null(p), "", join(sep, p)) for p in parts]
    joined = pc.utf8_slice_codeunits(join(*pieces), len(sep))
    return pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)
