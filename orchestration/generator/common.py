"""Small helpers shared by the generator modules: random streams, group arithmetic, money."""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per concern, so that changing one model leaves the
    others' draws untouched. crc32 (not hash()) keeps it stable across processes."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def pick(rng: np.random.Generator, weights: dict, size: int) -> np.ndarray:
    """Draw `size` keys of `weights` with probability proportional to the values."""
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return np.array(keys)[rng.choice(len(keys), size=size, p=p / p.sum())]


def pick_index(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


def chance(rng: np.random.Generator, p, size: int) -> np.ndarray:
    """Boolean draws; p may be a scalar or an array (clipped to [0, 1])."""
    return rng.random(size) < np.clip(p, 0.0, 1.0)


def group_rank(groups: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal values (groups must be sorted)."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    counts = np.diff(np.r_[starts, n])
    return np.arange(n) - np.repeat(starts, counts)


def expand(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For parents with `counts` children: (parent index, child position) of every child."""
    counts = np.asarray(counts, dtype=np.int64)
    parent = np.repeat(np.arange(len(counts)), counts)
    return parent, group_rank(parent)


def unique_integers(rng: np.random.Generator, size: int, low: int, high: int) -> np.ndarray:
    """`size` distinct integers in [low, high), in random order (redraws collisions)."""
    values = rng.integers(low, high, size=size)
    while True:
        _, first = np.unique(values, return_index=True)
        dup = np.ones(size, dtype=bool)
        dup[first] = False
        if not dup.any():
            return values
        values[dup] = rng.integers(low, high, size=int(dup.sum()))


def increasing_ids(rng: np.random.Generator, size: int, start: int, max_gap: int) -> np.ndarray:
    """Strictly increasing ids with random gaps, like a platform's numeric ids."""
    return start + np.cumsum(rng.integers(1, max_gap + 1, size=size))


def cents(euros) -> np.ndarray:
    return np.round(np.asarray(euros, dtype=float) * 100).astype(np.int64)
