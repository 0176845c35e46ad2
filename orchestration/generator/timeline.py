"""Time: the export nights, the seasons, and Europe/Paris local time.

Everything is held as UTC epoch seconds (int64). Paris local time follows the EU rule
(summer time from the last Sunday of March to the last Sunday of October, switching at
01:00 UTC), computed here so that output never depends on the machine's tz database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

MINUTE = 60
HOUR = 3_600
DAY = 86_400
EPOCH = date(1970, 1, 1)


def epoch_day(d: date) -> int:
    return (d - EPOCH).days


def epoch_seconds(d: date) -> int:
    return epoch_day(d) * DAY


def _last_sunday(years: np.ndarray, month: int) -> np.ndarray:
    """Epoch day of the last Sunday of `month` (March or October: 31 days) in each year."""
    last_day = (
        (years - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (month - 1)
    ).astype("datetime64[D]").astype(np.int64) + 30
    weekday = (last_day + 3) % 7  # Monday = 0; 1970-01-01 was a Thursday
    return last_day - (weekday + 1) % 7


def paris_offset(utc: np.ndarray) -> np.ndarray:
    """UTC offset of Europe/Paris in seconds (3600 or 7200) at each UTC instant."""
    utc = np.asarray(utc, dtype=np.int64)
    years = utc.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
    summer_start = _last_sunday(years, 3) * DAY + HOUR
    summer_end = _last_sunday(years, 10) * DAY + HOUR
    return np.where((utc >= summer_start) & (utc < summer_end), 2 * HOUR, HOUR)


def paris_to_utc(local: np.ndarray) -> np.ndarray:
    """UTC instant of a Paris wall-clock time (given as epoch seconds of that wall time)."""
    local = np.asarray(local, dtype=np.int64)
    return local - paris_offset(local - HOUR)


def season_label(start_year: int) -> str:
    return f"{start_year}-{start_year + 1}"


@dataclass(frozen=True)
class Timeline:
    """The nights being exported and the period the generated history covers."""

    end_date: date
    nights: int

    @property
    def export_dates(self) -> list[date]:
        return [self.end_date - timedelta(days=self.nights - 1 - i) for i in range(self.nights)]

    @property
    def labels(self) -> list[str]:
        return [d.strftime("%Y%m%d") for d in self.export_dates]

    @property
    def cutoffs(self) -> np.ndarray:
        """UTC instant of the Paris midnight closing each export day: an export holds
        what happened before it."""
        midnights = [epoch_seconds(d + timedelta(days=1)) for d in self.export_dates]
        return paris_to_utc(np.array(midnights, dtype=np.int64))

    @property
    def end(self) -> int:
        """Nothing in the generated world happens at or after this instant."""
        return int(self.cutoffs[-1])

    @property
    def season_years(self) -> tuple[int, int]:
        """Start years of the previous and the current season (seasons run July-June)."""
        current = self.end_date.year if self.end_date.month >= 7 else self.end_date.year - 1
        return current - 1, current

    @property
    def start(self) -> int:
        """History starts with the previous season's season-pass campaign (1 May)."""
        return int(paris_to_utc(np.array([epoch_seconds(date(self.season_years[0], 5, 1))]))[0])

    def night_of(self, utc: np.ndarray) -> np.ndarray:
        """Index of the first export that contains an event at `utc` (0 = night 1)."""
        return np.searchsorted(self.cutoffs, np.asarray(utc, dtype=np.int64), side="right")


def in_waking_hours(utc: np.ndarray, first_hour: int = 8, last_hour: int = 23) -> np.ndarray:
    """Move instants into Paris waking hours, same day: people buy between 8:00 and 23:00.
    The time of day is squeezed, so the order of instants within a day is kept."""
    utc = np.asarray(utc, dtype=np.int64)
    local = utc + paris_offset(utc)
    day, time_of_day = np.divmod(local, DAY)
    span = (last_hour - first_hour) * HOUR
    return paris_to_utc(day * DAY + first_hour * HOUR + time_of_day * span // DAY)
