"""The clean world: every person and every business record, before any export noise."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .emailing import Email, build_email
from .people import People, build_people
from .shop import Shop, build_shop
from .ticketing import Ticketing, build_ticketing
from .timeline import Timeline


@dataclass
class World:
    timeline: Timeline
    seed: int
    messiness: float
    fx: dict[str, float]  # currency -> euros per unit
    people: People
    ticketing: Ticketing
    shop: Shop
    email: Email


def read_fx(path: Path) -> dict[str, float]:
    """seeds/fx_rates.csv: the one exchange-rate table the generator and warehouse share."""
    with open(path, newline="", encoding="utf-8") as f:
        return {row["currency"]: float(row["eur_per_unit"]) for row in csv.DictReader(f)}


def build_world(fans: int, seed: int, timeline: Timeline, messiness: float, fx) -> World:
    people = build_people(fans, seed, timeline, messiness)
    ticketing = build_ticketing(people, timeline, seed)
    orders = ticketing.orders
    season_pass_buyers = np.unique(
        orders["buyer"].to_numpy()[(orders["kind"] == "season_pass").to_numpy()]
    )
    shop = build_shop(people, timeline, seed, fx)
    email = build_email(people, season_pass_buyers, ticketing.matches, timeline, seed)
    return World(timeline, seed, messiness, fx, people, ticketing, shop, email)
