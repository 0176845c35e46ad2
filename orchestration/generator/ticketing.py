"""The ticketing platform's clean world: matches, accounts, orders, tickets, access scans.

Orders come in three shapes: a season-pass order before each season, one family outing
per household with children (every member named, so each child is known by name once),
and single-match / hospitality orders. An order's total is the sum of its ticket prices.
Seats beyond the buyer's household go to the buyer's friends (persons of other
households, the same few on each of the buyer's orders) or to someone unknown.
Status changes (refund, cancellation, resale) happen at a known instant, so any export
can show the state as of its night.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from . import vocab
from .common import cents, chance, expand, increasing_ids, pick, stream
from .people import People, other_email
from .timeline import (
    DAY,
    HOUR,
    MINUTE,
    Timeline,
    epoch_seconds,
    in_waking_hours,
    paris_to_utc,
    season_label,
)

NEVER = np.iinfo(np.int64).max  # change time of a record that never changes
CHANNELS = {"web": 55, "app": 25, "box_office": 12, "partner": 8}
# Friends a buyer takes along (persons of other households, 16 or older), the share of the
# seats beyond the household that go to one of them (in the buyer's order of friends), and
# how often a friend's ticket carries their name (a buyer names the friends they invite).
FRIEND_COUNTS = {0: 25, 1: 35, 2: 25, 3: 15}
FRIEND_SEAT_SHARE = 0.8
FRIEND_NAMED = 0.6
KICKOFFS = {4: ("20:45",), 5: ("15:00", "17:00", "21:00"), 6: ("13:00", "15:00", "17:15", "20:45")}


@dataclass
class Ticketing:
    matches: pd.DataFrame
    accounts: pd.DataFrame
    orders: pd.DataFrame
    tickets: pd.DataFrame
    scans: pd.DataFrame


def build_matches(timeline: Timeline, seed: int) -> pd.DataFrame:
    """38 league rounds per season from mid-August to May with a winter break; each
    opponent once at home (D) and once away (E)."""
    rng = stream(seed, "matches")
    seasons = []
    for year in timeline.season_years:
        first_saturday = date(year, 8, 15) + timedelta(days=(5 - date(year, 8, 15).weekday()) % 7)
        rounds = np.arange(38)
        week = rounds + np.where(rounds >= 17, 3, 0)
        weekday = pick(rng, {4: 1, 5: 3, 6: 3}, 38).astype(int)
        day = [
            first_saturday + timedelta(days=int(7 * w + d - 5))
            for w, d in zip(week, weekday, strict=True)
        ]
        hour = [KICKOFFS[w][rng.integers(len(KICKOFFS[w]))] for w in weekday]
        kickoff_local = np.array(
            [
                epoch_seconds(d) + int(h[:2]) * HOUR + int(h[3:]) * MINUTE
                for d, h in zip(day, hour, strict=True)
            ]
        )
        order = rng.permutation(len(vocab.OPPONENTS))
        home_first = chance(rng, 0.5, 19)
        opponent = np.r_[order, order[rng.permutation(19)]]
        home = np.r_[home_first, ~_home_of(order, home_first, opponent[19:])]
        seasons.append(
            pd.DataFrame(
                {
                    "match_id": [
                        f"{str(year)[2:]}{str(year + 1)[2:]}-L1-{r + 1:02d}" for r in rounds
                    ],
                    "season": season_label(year),
                    "match_day": [(d - date(1970, 1, 1)).days for d in day],
                    "kickoff": paris_to_utc(kickoff_local),
                    "opponent_index": opponent,
                    "home_away": np.where(home, "D", "E"),
                }
            )
        )
    matches = pd.concat(seasons, ignore_index=True)
    opp = matches["opponent_index"].to_numpy()
    home = matches["home_away"].to_numpy() == "D"
    matches["competition"] = vocab.COMPETITION
    matches["opponent"] = np.array([o[0] for o in vocab.OPPONENTS], dtype=object)[opp]
    matches["venue"] = np.where(home, vocab.HOME_VENUE[0], [vocab.OPPONENTS[i][1] for i in opp])
    matches["capacity"] = np.where(home, vocab.HOME_VENUE[1], [vocab.OPPONENTS[i][2] for i in opp])
    matches["big"] = np.array([o[3] for o in vocab.OPPONENTS])[opp]
    return matches


def _home_of(order: np.ndarray, home_first: np.ndarray, opponents: np.ndarray) -> np.ndarray:
    """Whether the first-half meeting with each of `opponents` was at home."""
    was_home = np.zeros(len(order), dtype=bool)
    was_home[order] = home_first
    return was_home[opponents]


def _single_match_orders(rng, matches, timeline, size, home_share=0.92):
    """Match and purchase instant of `size` single-match orders. Sales open 45 days before
    kick-off and most tickets go in the last days (time before kick-off = 45 d x u^2). A
    match is picked in proportion to the part of its sales that falls inside the history
    (none after the last export), and the instant is drawn from that part."""
    kickoff = matches["kickoff"].to_numpy()
    window = 45 * DAY
    earliest = np.clip(kickoff - timeline.end + MINUTE, 0, window)  # seconds before kick-off
    latest = np.clip(kickoff - timeline.start, 0, window)
    u_low, u_high = np.sqrt(earliest / window), np.sqrt(latest / window)
    home = matches["home_away"].to_numpy() == "D"
    match = np.empty(size, dtype=np.int64)
    at_home = chance(rng, home_share, size)
    for where, pool in ((at_home, home), (~at_home, ~home)):
        weight = np.where(pool, u_high - u_low, 0.0)
        match[where] = rng.choice(len(kickoff), size=int(where.sum()), p=weight / weight.sum())
    u = u_low[match] + (u_high[match] - u_low[match]) * rng.random(size)
    before = np.maximum((window * u**2).astype(np.int64), earliest[match])
    created = in_waking_hours(kickoff[match] - np.maximum(before, 15 * MINUTE))
    latest_sale = np.minimum(kickoff[match] - 15 * MINUTE, timeline.end - 1)
    return match, np.clip(created, timeline.start, latest_sale)


def build_orders(people: People, matches: pd.DataFrame, timeline: Timeline, seed: int):
    rng = stream(seed, "ticket_orders")
    p = people.persons
    buyers = np.flatnonzero(p["in_ticketing"].to_numpy())
    parts = []

    # Season passes, sold from 15 May to 31 August before each season.
    passed_before = np.zeros(len(p), dtype=bool)
    for year in timeline.season_years:
        lo = max(int(paris_to_utc(np.array([epoch_seconds(date(year, 5, 15))]))[0]), timeline.start)
        hi = min(int(paris_to_utc(np.array([epoch_seconds(date(year, 9, 1))]))[0]), timeline.end)
        if hi <= lo:
            continue
        takes = chance(
            rng,
            np.where(
                passed_before[buyers], 0.8, 0.12 if year == timeline.season_years[0] else 0.05
            ),
            len(buyers),
        )
        who = buyers[takes]
        passed_before[who] = True
        seats = pick(rng, {1: 55, 2: 25, 3: 12, 4: 8}, len(who)).astype(np.int64)
        parts.append(
            pd.DataFrame(
                {
                    "buyer": who,
                    "kind": "season_pass",
                    "match": -1,
                    "season": season_label(year),
                    "n_tickets": np.minimum(seats, p["household_size"].to_numpy()[who]),
                    "created": np.clip(in_waking_hours(rng.integers(lo, hi, len(who))), lo, hi - 1),
                    "section": pick(rng, vocab.SECTIONS, len(who)),
                    "all_named": False,
                }
            )
        )

    # One family outing per household with children, every member named on the tickets.
    kid_households = np.unique(p["household_id"].to_numpy()[p["is_child"].to_numpy()])
    heads = p["head"].to_numpy()[np.searchsorted(p["household_id"].to_numpy(), kid_households)]
    match, created = _single_match_orders(rng, matches, timeline, len(heads), home_share=1.0)
    parts.append(
        pd.DataFrame(
            {
                "buyer": heads,
                "kind": "single",
                "match": match,
                "season": "",
                "n_tickets": np.minimum(p["household_size"].to_numpy()[heads], 5),
                "created": created,
                "section": pick(rng, vocab.SECTIONS, len(heads)),
                "all_named": True,
            }
        )
    )

    # Single-match and hospitality orders: a few per fan, many for the keenest.
    counts = rng.poisson(rng.gamma(1.2, 2.0, len(buyers)))
    has_other = np.isin(buyers, np.concatenate([part["buyer"].to_numpy() for part in parts]))
    counts = np.where(has_other, counts, np.maximum(counts, 1))
    owner, _ = expand(counts)
    who = buyers[owner]
    match, created = _single_match_orders(rng, matches, timeline, len(who))
    hospitality = chance(rng, 0.03, len(who)) & (matches["home_away"].to_numpy()[match] == "D")
    section = np.where(
        hospitality,
        pick(rng, {k: 1 for k in vocab.HOSPITALITY}, len(who)),
        np.where(
            matches["home_away"].to_numpy()[match] == "D",
            pick(rng, vocab.SECTIONS, len(who)),
            "Parcage visiteurs",
        ),
    )
    parts.append(
        pd.DataFrame(
            {
                "buyer": who,
                "kind": np.where(hospitality, "hospitality", "single"),
                "match": match,
                "season": "",
                "created": created,
                "section": section,
                "all_named": False,
                "n_tickets": np.where(
                    hospitality,
                    rng.integers(1, 5, len(who)),
                    pick(rng, {1: 50, 2: 28, 3: 10, 4: 8, 5: 4}, len(who)),
                ),
            }
        )
    )

    orders = pd.concat(parts, ignore_index=True)
    orders = orders.sort_values(["created", "buyer"], kind="stable", ignore_index=True)
    n = len(orders)
    is_match = orders["match"].to_numpy() >= 0
    orders.loc[is_match, "season"] = matches["season"].to_numpy()[
        orders["match"].to_numpy()[is_match]
    ]
    orders["order_id"] = increasing_ids(rng, n, 300_000, 3)
    orders["channel"] = np.where(
        orders["kind"] == "season_pass",
        pick(rng, {"web": 70, "box_office": 30}, n),
        np.where(orders["all_named"], pick(rng, {"web": 70, "app": 30}, n), pick(rng, CHANNELS, n)),
    )

    # Status: a few orders are cancelled within days or refunded within weeks.
    change = np.full(n, NEVER)
    status = np.full(n, "paid", dtype=object)
    created = orders["created"].to_numpy()
    refund = chance(rng, np.where(orders["kind"] == "season_pass", 0.01, 0.03), n)
    cancel = ~refund & chance(rng, 0.025, n)
    change = np.where(refund, created + rng.integers(DAY, 20 * DAY, n), change)
    change = np.where(cancel, created + rng.integers(HOUR, 5 * DAY, n), change)
    status = np.where(refund, "refunded", np.where(cancel, "cancelled", status))
    in_history = change < timeline.end
    status, change = np.where(in_history, status, "paid"), np.where(in_history, change, NEVER)
    # Some orders paid before the first export night get refunded during a later night,
    # so a later delta carries the order again with its new status.
    if timeline.nights >= 2:
        paid_early = np.flatnonzero((status == "paid") & (created < timeline.cutoffs[0]))
        late = paid_early[-max(1, n // 2000) :]
        change[late] = rng.integers(timeline.cutoffs[0], timeline.end, len(late))
        status[late] = "refunded"
    orders["status"], orders["changed_at"] = status, change

    orders = _assign_accounts(orders, people, rng)
    return orders


def _assign_accounts(orders: pd.DataFrame, people: People, rng) -> pd.DataFrame:
    """Each buyer has an account; guest-checkout users create a new account for some of
    their later orders, typed with another address or none."""
    p = people.persons
    n = len(orders)
    buyer = orders["buyer"].to_numpy()
    first_of_buyer = ~pd.Series(buyer).duplicated().to_numpy()
    guest_user = chance(rng, 0.15, len(p))[buyer]
    guest = guest_user & ~first_of_buyer & (orders["kind"].to_numpy() != "season_pass")
    guest &= chance(rng, 0.5, n)
    primary = p["email_primary"].to_numpy(dtype=object)[buyer]
    typed = pick(rng, {"same": 5, "other": 3, "none": 2}, n)
    guest_email = np.where(
        typed == "same", primary, np.where(typed == "other", other_email(p, rng, buyer), None)
    )
    email = np.where(guest, guest_email, primary)
    # account key: the buyer's main account, or a new one per guest order
    key = np.where(guest, len(p) + np.arange(n), buyer)
    first_use = pd.Series(np.arange(n)).groupby(key).transform("min").to_numpy()
    rank = np.unique(first_use, return_inverse=True)[1]
    account_ids = increasing_ids(rng, int(rank.max()) + 1, 100_000, 5)
    orders["account_id"] = account_ids[rank]
    orders["guest_checkout"] = guest
    orders["email"] = email
    return orders


def friends_of(people: People, seed: int) -> np.ndarray:
    """(persons, max friends) positions of each person's friends, best friend first; -1
    where none. Friends are 16 or older and live in another household."""
    rng = stream(seed, "tickets:friends")
    p = people.persons
    n, width = len(p), max(FRIEND_COUNTS)
    count = pick(rng, FRIEND_COUNTS, n).astype(np.int64)
    pool = np.flatnonzero(p["age"].to_numpy() >= 16)
    friend = pool[rng.integers(0, len(pool), (n, width))]
    household = p["household_id"].to_numpy()
    ok = (np.arange(width) < count[:, None]) & (household[friend] != household[:, None])
    ok[:, 1:] &= friend[:, 1:] != friend[:, :1]  # nobody twice
    ok[:, 2:] &= friend[:, 2:] != friend[:, 1:2]
    return np.where(ok, friend, -1)


def build_tickets(orders, people: People, matches: pd.DataFrame, timeline: Timeline, seed: int):
    rng = stream(seed, "tickets")
    p = people.persons
    order, position = expand(orders["n_tickets"].to_numpy())
    n = len(order)
    buyer = orders["buyer"].to_numpy()[order]
    kind = orders["kind"].to_numpy()[order]

    # Holder: the buyer first, then the other members of the household, then friends.
    head = p["head"].to_numpy()[buyer]
    member_of_buyer = p["member"].to_numpy()[buyer]
    other = np.where(position - 1 < member_of_buyer, position - 1, position)  # skip the buyer
    holder = np.where(other < p["household_size"].to_numpy()[buyer], head + other, -1)
    holder = np.where(position == 0, buyer, holder)
    # Further seats: the buyer's friends, each on the same seat rank on every order.
    friends = friends_of(people, seed)
    extra = np.clip(other - p["household_size"].to_numpy()[buyer], 0, friends.shape[1] - 1)
    friend = friends[buyer, extra]
    friend_rng = stream(seed, "tickets:friend_seats")
    is_friend = (holder < 0) & (friend >= 0) & chance(friend_rng, FRIEND_SEAT_SHARE, n)
    holder = np.where(is_friend, friend, holder)
    age = np.where(holder >= 0, p["age"].to_numpy()[np.maximum(holder, 0)], 40)

    # Price category and price.
    section = orders["section"].to_numpy()[order]
    concession = (age < 26) | (age >= 65)
    category = np.where(
        age < 12,
        "enfant",
        np.where(chance(rng, np.where(concession, 0.6, 0.15), n), "reduit", "plein"),
    )
    category = np.where(chance(rng, 0.03, n), "invitation", category)
    category = np.where(kind == "season_pass", np.where(age < 12, "enfant", "abonne"), category)
    category = np.where(kind == "hospitality", "plein", category)
    single = _single_prices(section, category)
    match = orders["match"].to_numpy()[order]
    big = np.where(match >= 0, matches["big"].to_numpy()[np.maximum(match, 0)], False)
    home = np.where(match >= 0, matches["home_away"].to_numpy()[np.maximum(match, 0)] == "D", False)
    single = np.where(big & home, np.round(single * 1.5 * 2) / 2, single)
    pass_price = np.select(
        [section == s for s in vocab.SEASON_PASS_PRICES],
        [np.where(age < 12, kids, adult) for adult, kids in vocab.SEASON_PASS_PRICES.values()],
        0.0,
    )
    hosp_price = np.select(
        [section == s for s in vocab.HOSPITALITY], list(vocab.HOSPITALITY.values()), 0.0
    )
    price = np.select(
        [kind == "season_pass", kind == "hospitality"], [pass_price, hosp_price], single
    )
    price = np.where(category == "invitation", 0.0, price)

    # Names on the ticket: season cards are nominative; other holders often left blank.
    named = np.select(
        [kind == "season_pass", orders["all_named"].to_numpy()[order], holder < 0, holder == buyer],
        [chance(rng, 0.95, n), True, False, chance(rng, 0.5, n)],
        chance(rng, 0.35, n),
    )
    named = np.where(is_friend, chance(friend_rng, FRIEND_NAMED, n), named)
    primary = p["email_primary"].to_numpy(dtype=object)[np.maximum(holder, 0)]
    holder_email = np.where(named & (holder >= 0) & chance(rng, 0.4, n), primary, None)

    # Status: the order's cancellation/refund cancels its tickets; some seats get resold.
    order_change = orders["changed_at"].to_numpy()[order]
    status = np.where(orders["status"].to_numpy()[order] == "paid", "valid", "cancelled")
    kickoff = np.where(match >= 0, matches["kickoff"].to_numpy()[np.maximum(match, 0)], NEVER)
    created = orders["created"].to_numpy()[order]
    resale = created + ((kickoff - created) * rng.uniform(0.2, 0.9, n)).astype(np.int64)
    resold = (
        (kind == "single") & (status == "valid") & chance(rng, 0.02, n) & (resale < timeline.end)
    )
    status = np.where(resold, "resold", status)
    changed_at = np.where(resold, resale, order_change)

    seat0 = rng.integers(1, 40, len(orders))[order]
    tickets = pd.DataFrame(
        {
            "ticket_id": increasing_ids(rng, n, 7_000_000, 2),
            "order": order,
            "order_id": orders["order_id"].to_numpy()[order],
            "match": match,
            "season": orders["season"].to_numpy()[order],
            "product_type": kind,
            "price_category": category,
            "section": section,
            "row": np.where(
                kind == "hospitality",
                "L" + rng.integers(1, 12, n).astype(str),
                np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ"))[rng.integers(0, 24, len(orders))[order]],
            ),
            "seat": (seat0 + position).astype(str),
            "price": cents(price),
            "holder": holder,
            "named": named,
            "holder_email": holder_email,
            "status": status,
            "changed_at": changed_at,
            "created": created,
        }
    )
    orders["total"] = np.bincount(
        order, weights=tickets["price"].to_numpy(), minlength=len(orders)
    ).astype(np.int64)
    return tickets


def _single_prices(section: np.ndarray, category: np.ndarray) -> np.ndarray:
    price = np.zeros(len(section))
    for s, by_category in vocab.SINGLE_PRICES.items():
        for c, euros in by_category.items():
            price[(section == s) & (category == c)] = euros
    return price


def build_scans(tickets, orders, matches: pd.DataFrame, timeline: Timeline, seed: int):
    """Gate scans at home matches played: single tickets once, season passes at every home
    match of their season; some no-shows, rejected-then-ok scans and re-entries."""
    rng = stream(seed, "scans")
    kickoff = matches["kickoff"].to_numpy()
    played_home = np.flatnonzero(
        (matches["home_away"].to_numpy() == "D") & (kickoff < timeline.end)
    )

    # (ticket, match) pairs where the holder may come.
    match = tickets["match"].to_numpy()
    single = np.flatnonzero(np.isin(match, played_home))
    season_of = matches["season"].to_numpy()
    passes = np.flatnonzero(tickets["product_type"].to_numpy() == "season_pass")
    pass_match = [
        (np.repeat(passes, len(home_games)), np.tile(home_games, len(passes)))
        for home_games in [played_home[season_of[played_home] == s] for s in np.unique(season_of)]
    ]
    ticket = np.concatenate([single] + [t for t, _ in pass_match])
    game = np.concatenate([match[single]] + [m for _, m in pass_match])
    ko = kickoff[game]
    valid_then = (tickets["changed_at"].to_numpy()[ticket] > ko) & (
        tickets["created"].to_numpy()[ticket] < ko
    )
    same_season = tickets["season"].to_numpy()[ticket] == season_of[game]
    ticket, game, ko = ticket[same_season], game[same_season], ko[same_season]
    valid_then = valid_then[same_season]
    is_pass = tickets["product_type"].to_numpy()[ticket] == "season_pass"
    shows = valid_then & chance(rng, np.where(is_pass, 0.8, 0.88), len(ticket))
    # A cancelled or resold ticket presented at the gate is turned away.
    turned_away = ~valid_then & chance(rng, 0.02, len(ticket))

    t, g, k = ticket[shows], game[shows], ko[shows]
    entry = k - rng.integers(10 * MINUTE, 100 * MINUTE, len(t))
    refused_first = chance(rng, 0.03, len(t))
    reentry = chance(rng, 0.04, len(t))
    parts = [
        (t, g, entry, "ok"),
        (
            t[refused_first],
            g[refused_first],
            entry[refused_first] - rng.integers(MINUTE, 3 * MINUTE, int(refused_first.sum())),
            "rejected",
        ),
        (
            t[reentry],
            g[reentry],
            k[reentry] + rng.integers(45 * MINUTE, 60 * MINUTE, int(reentry.sum())),
            pick(rng, {"ok": 7, "rejected": 3}, int(reentry.sum())),
        ),
        (
            ticket[turned_away],
            game[turned_away],
            ko[turned_away] - rng.integers(5 * MINUTE, 60 * MINUTE, int(turned_away.sum())),
            "rejected",
        ),
    ]
    scans = pd.DataFrame(
        {
            "ticket": np.concatenate([p[0] for p in parts]),
            "match": np.concatenate([p[1] for p in parts]),
            "scanned_at": np.concatenate([p[2] for p in parts]),
            "result": np.concatenate([np.broadcast_to(p[3], len(p[0])) for p in parts]),
        }
    )
    scans = scans.sort_values(["scanned_at", "ticket"], kind="stable", ignore_index=True)
    # Gate: a numbered door of the ticket's stand ('Porte N3'), or the VIP entrance.
    sections = np.array(list(vocab.GATES))
    section = np.searchsorted(
        sections,
        tickets["section"].to_numpy()[scans["ticket"].to_numpy()],
        sorter=np.argsort(sections),
    )
    section = np.argsort(sections)[section]
    gate_names = np.array(
        [
            "Accueil VIP" if vocab.GATES[s] == "VIP" else f"Porte {vocab.GATES[s]}{door}"
            for s in sections
            for door in range(1, 5)
        ]
    )
    scans["gate"] = gate_names[section * 4 + rng.integers(0, 4, len(scans))]
    scans["scan_id"] = increasing_ids(rng, len(scans), 50_000_000, 1)
    scans["ticket_id"] = tickets["ticket_id"].to_numpy()[scans["ticket"].to_numpy()]
    scans["match_id"] = matches["match_id"].to_numpy()[scans["match"].to_numpy()]
    return scans


def build_ticketing(people: People, timeline: Timeline, seed: int) -> Ticketing:
    matches = build_matches(timeline, seed)
    orders = build_orders(people, matches, timeline, seed)
    tickets = build_tickets(orders, people, matches, timeline, seed)
    scans = build_scans(tickets, orders, matches, timeline, seed)
    accounts = (
        orders.groupby("account_id", sort=True)
        .agg(buyer=("buyer", "first"), email=("email", "first"), created=("created", "min"))
        .reset_index()
    )
    return Ticketing(matches, accounts, orders, tickets, scans)
