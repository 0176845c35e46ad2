"""The clean world's people: households of fans with their names, contacts and tools.

A household shares a surname (a partner sometimes keeps their own), an address, often an
email address and, for children, a phone. Each person over 15 uses one or more of the
club's tools; children appear as ticket holders of their family's orders.

Identity traps of the real world: homonyms (people living alone named like someone
elsewhere, and homonym families: two households of one town with the same surname and a
member each with the same first name), and marriages in the history (from that day on a
person's new records carry the new surname).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import vocab
from .common import chance, expand, pick, pick_index, stream, unique_integers
from .formats import join, join_present, text
from .noise import slug
from .timeline import DAY, Timeline, epoch_day, paris_to_utc

HOUSEHOLD_SIZES = {1: 35, 2: 28, 3: 17, 4: 14, 5: 6}
KID_AGE = 15  # below: no tool of their own
HOMONYM_FAMILY_RATE = 0.01  # of households paired with a namesake household, x messiness
# Marriages in the history, x messiness: a partner who kept their own surname takes the
# household's; a few people living alone take a spouse's from outside the fan base.
PARTNER_MARRIAGE_RATE = 0.3
SINGLE_MARRIAGE_RATE = 0.04
UNMARRIED = np.iinfo(np.int64).max  # married_at of a person who does not marry
# Tools a person (15+) uses: T ticketing, S shop, E email. Most use two or more.
TOOL_MIXES = {"T": 12, "S": 5, "E": 10, "TS": 10, "TE": 28, "SE": 8, "TSE": 27}


@dataclass
class People:
    persons: pd.DataFrame  # one row per person, index = position, person_id from 1
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    # (person a, person b) positions of the homonym families: same first name, surname
    # and postal code, other households, other birth dates
    homonym_pairs: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))

    @property
    def n(self) -> int:
        return len(self.persons)


def _household_sizes(rng: np.random.Generator, fans: int) -> np.ndarray:
    sizes = pick(rng, HOUSEHOLD_SIZES, fans).astype(np.int64)
    cut = int(np.searchsorted(np.cumsum(sizes), fans))
    sizes = sizes[: cut + 1]
    sizes[-1] -= int(sizes.sum()) - fans
    return sizes[sizes > 0]


def _ages(rng: np.random.Generator, member: np.ndarray, size: np.ndarray, household: np.ndarray):
    """Age in years: head and partner adults, further members children (a two-person
    household is a single parent with a child one time in five)."""
    n = len(member)
    single_parent = chance(rng, 0.2, int(household.max()) + 1)[household] & (size == 2)
    is_child = (member >= 2) | ((member == 1) & single_parent)
    has_children = np.zeros(int(household.max()) + 1, dtype=bool)
    has_children[household[is_child]] = True
    head_age = np.where(has_children[household], rng.integers(30, 56, n), rng.integers(18, 80, n))[
        np.searchsorted(household, household)
    ]  # every member sees its head's draw
    age = np.where(member == 0, head_age, np.clip(head_age + rng.integers(-6, 5, n), 18, 90))
    child_age = rng.integers(1, 18, n)
    return np.where(is_child, np.minimum(child_age, head_age - 20), age), is_child


def _homonym_families(rng, household, member, gender, postal, abroad, pairs: int):
    """Pairs of household heads of one postal code and one gender, from other households
    (up to `pairs`): the second will be renamed after the first."""
    head = np.flatnonzero((member == 0) & ~abroad[household])
    order = np.lexsort((rng.random(len(head)), gender[head], postal[household[head]]))
    a, b = head[order[0:-1:2]], head[order[1::2]]
    same = (postal[household[a]] == postal[household[b]]) & (gender[a] == gender[b])
    chosen = np.sort(rng.permutation(np.flatnonzero(same))[:pairs])
    return np.stack([a[chosen], b[chosen]], axis=1).astype(np.int64)


def _marriages(rng, timeline, last, member, keeps_own, size, age, head, excluded, messiness):
    """Surname taken on marrying (vocabulary index, -1 for none) and the instant (UTC
    seconds, the Paris midnight of the wedding day; UNMARRIED for none)."""
    n = len(last)
    partner = (member == 1) & keeps_own & (age >= 20)
    single = (size == 1) & (age >= 22) & (age <= 45)
    spouse_name = pick_index(rng, 1 / (np.arange(len(vocab.LAST_NAMES)) + 6), n)
    marries = np.where(
        partner,
        chance(rng, PARTNER_MARRIAGE_RATE * messiness, n),
        single & chance(rng, SINGLE_MARRIAGE_RATE * messiness, n),
    )
    new_name = np.where(partner, last[head], spouse_name)
    marries &= (new_name != last) & ~excluded
    first_day = timeline.start // DAY + 30
    day = rng.integers(first_day, max(epoch_day(timeline.end_date) - 14, first_day + 1), n)
    at = paris_to_utc(day * DAY)
    return np.where(marries, new_name, -1), np.where(marries, at, UNMARRIED)


def _emails(rng, first_slug, last_slug, birth_year, person_id, domains) -> pa.Array:
    """first.last@gmail.com and the other usual shapes, unique across people."""
    yy = text((birth_year % 100).astype(str))
    shapes = [
        join(first_slug, ".", last_slug),
        join(pc.utf8_slice_codeunits(first_slug, 0, 1), last_slug),
        join(first_slug, "_", last_slug),
        join(first_slug, last_slug, yy),
        join(last_slug, ".", first_slug),
        join(first_slug, ".", last_slug, text(birth_year.astype(str))),
    ]
    shape = pick_index(rng, [30, 15, 8, 20, 7, 20], len(person_id))
    local = pc.choose(pa.array(shape.astype(np.int8)), *shapes)
    emails = join(local, "@", domains)
    # Taken addresses get the person's number appended, as a mail provider would suggest.
    for make_suffix in (str, lambda p: f".{p}", lambda p: f"_{p}x", None):
        dup = pd.Series(emails.to_numpy(zero_copy_only=False)).duplicated().to_numpy()
        if not dup.any():
            return emails
        if make_suffix is None:
            raise AssertionError("could not make email addresses unique")
        suffix = np.full(len(dup), "", dtype=object)
        suffix[dup] = [make_suffix(p) for p in person_id[dup]]
        local = join(local, text(suffix))
        emails = join(local, "@", domains)
    return emails


def build_people(fans: int, seed: int, timeline: Timeline, messiness: float) -> People:
    rng = stream(seed, "people")
    sizes = _household_sizes(rng, fans)
    household, member = expand(sizes)
    n = len(household)
    size = sizes[household]
    head = np.searchsorted(household, household)  # position of each member's head
    person_id = np.arange(1, n + 1)

    age, is_child = _ages(rng, member, size, household)
    end_day = epoch_day(timeline.end_date)
    birth_day = end_day - (age * 365.25).astype(np.int64) - rng.integers(0, 365, n)
    age = ((end_day - birth_day) // 365.25).astype(np.int64)
    kid = age < KID_AGE
    gender = np.where(rng.random(n) < 0.52, "M", "F")
    gender = np.where((member == 1) & ~is_child, np.where(gender[head] == "M", "F", "M"), gender)

    # Names: weights fall with rank (a few names are common, most are rare).
    first_male = pick_index(rng, 1 / (np.arange(len(vocab.MALE_FIRST_NAMES)) + 8), n)
    first_female = len(vocab.MALE_FIRST_NAMES) + pick_index(
        rng, 1 / (np.arange(len(vocab.FEMALE_FIRST_NAMES)) + 8), n
    )
    first = np.where(gender == "M", first_male, first_female)
    family_name = pick_index(rng, 1 / (np.arange(len(vocab.LAST_NAMES)) + 6), len(sizes))
    own_name = pick_index(rng, 1 / (np.arange(len(vocab.LAST_NAMES)) + 6), n)
    keeps_own = (member == 1) & ~is_child & chance(rng, 0.25, n)
    last = np.where(keeps_own, own_name, family_name[household])

    # Homonyms: some people living alone carry exactly the name of someone elsewhere.
    alone = np.flatnonzero(size == 1)
    twins = alone[chance(rng, 0.01 + 0.01 * messiness, len(alone))]
    originals = rng.integers(0, n, len(twins))
    originals = originals[household[originals] != household[twins]]
    twins = twins[: len(originals)]
    first[twins], last[twins], gender[twins] = first[originals], last[originals], gender[originals]

    # Place: French fans near the club, a few abroad.
    abroad = chance(rng, 0.03, len(sizes))
    country = np.where(abroad, pick(rng, vocab.FOREIGN_WEIGHTS, len(sizes)), "FR")
    place = pick_index(rng, [w for _, _, w in vocab.FRENCH_PLACES], len(sizes))
    postal = np.array([p for p, _, _ in vocab.FRENCH_PLACES], dtype=object)[place]
    city = np.array([c for _, c, _ in vocab.FRENCH_PLACES], dtype=object)[place]
    for code, (_, _, _, places, _) in vocab.FOREIGN.items():
        here = np.flatnonzero(country == code)
        which = rng.integers(0, len(places), len(here))
        postal[here] = np.array([p for p, _ in places], dtype=object)[which]
        city[here] = np.array([c for _, c in places], dtype=object)[which]
    street = np.char.add(
        rng.integers(1, 120, len(sizes)).astype(str).astype(object) + " ",
        np.array(vocab.STREETS, dtype=object)[rng.integers(0, len(vocab.STREETS), len(sizes))],
    )
    line2 = np.where(
        chance(rng, 0.15, len(sizes)),
        np.array(vocab.ADDRESS_LINE_2, dtype=object)[rng.integers(0, 5, len(sizes))],
        None,
    )

    # Homonym families: a few households take the surname of a household of the same town,
    # and its head the first name of that household's head (two 'Léa Martin' of 69003).
    hrng = stream(seed, "people:homonyms")
    pairs = round(HOMONYM_FAMILY_RATE * messiness * len(sizes))
    homonyms = _homonym_families(
        hrng, household, member, gender, postal, abroad, max(pairs, 1) if messiness else 0
    )
    a, b = homonyms[:, 0], homonyms[:, 1]
    renamed = np.full(len(sizes), -1)
    renamed[household[b]] = last[a]
    last = np.where((renamed[household] >= 0) & ~keeps_own, renamed[household], last)
    first[b] = first[a]  # and the surname, with their household
    birth_day[b] -= np.where(birth_day[b] == birth_day[a], 17, 0)  # born another day
    age[b] = (end_day - birth_day[b]) // 365.25

    excluded = np.zeros(n, dtype=bool)
    excluded[homonyms.ravel()] = True
    married_last, married_at = _marriages(
        stream(seed, "people:marriages"),
        timeline,
        last,
        member,
        keeps_own,
        size,
        age,
        head,
        excluded,
        messiness,
    )

    # Mobile phones: unique numbers; children and some partners give the head's.
    cc = {"FR": ("33", 9, "6")} | {k: v[:3] for k, v in vocab.FOREIGN.items()}
    country_p = country[household]
    phone_cc = np.array([cc[c][0] for c in country_p], dtype=object)
    width = np.array([cc[c][1] for c in country_p])
    number = unique_integers(rng, n, 10_000_000, 99_999_999).astype(str).astype(object)
    lead = np.array([cc[c][2] for c in country_p], dtype=object)
    lead = np.where((country_p == "FR") & chance(rng, 0.3, n), "7", lead)
    pad = np.array(["0" * max(w - 9, 0) for w in width], dtype=object)
    digits = lead + pad + number
    shares_phone = kid | ((member == 1) & chance(rng, 0.1, n))
    digits = np.where(shares_phone, digits[head], digits)
    phone_cc = np.where(shares_phone, phone_cc[head], phone_cc)

    # Email addresses.
    first_slug = text(np.array([slug(w) for w in vocab.FIRST_NAMES], dtype=object)[first])
    last_slug = text(np.array([slug(w) for w in vocab.LAST_NAMES], dtype=object)[last])
    birth_year = (birth_day * DAY).astype("datetime64[s]").astype("datetime64[Y]").astype(
        np.int64
    ) + 1970
    personal_domain = text(pick(rng, vocab.PERSONAL_DOMAINS, n).astype(object))
    personal = _emails(rng, first_slug, last_slug, birth_year, person_id, personal_domain)
    has_personal = np.where(age >= 18, chance(rng, 0.97, n), (age >= 13) & chance(rng, 0.6, n))
    work_domain = text(np.array(vocab.WORK_DOMAINS, dtype=object)[rng.integers(0, 16, n)])
    work = _emails(rng, first_slug, last_slug, birth_year, person_id, work_domain)
    has_work = (age >= 22) & (age < 65) & chance(rng, 0.3, n)
    local, domain = (
        pc.split_pattern(personal, "@").flatten().to_numpy(zero_copy_only=False).reshape(-1, 2).T
    )
    tag = np.array(vocab.ALIAS_TAGS, dtype=object)[rng.integers(0, len(vocab.ALIAS_TAGS), n)]
    alias = local + "+" + tag + "@" + domain
    has_alias = has_personal & chance(rng, 0.1 * max(messiness, 0.3), n)

    personal = np.where(has_personal, personal.to_numpy(zero_copy_only=False), None)
    family_mail = (sizes >= 2) & chance(rng, 0.35, len(sizes))
    shared = np.where(family_mail[household] & (member > 0), personal[head], None)
    shared = np.where(pd.isna(shared) | (shared == personal), None, shared)
    use_shared = ~pd.isna(shared) & (pd.isna(personal) | chance(rng, 0.5, n))
    primary = np.where(use_shared, shared, personal)

    # Tools used: children none; someone without email can only buy tickets.
    tools = pick(rng, TOOL_MIXES, n).astype(object)
    # Without an address of their own, a person is known to the shop and the mailing tool
    # only through the family address (one account per address): they also buy tickets.
    tools = np.where(pd.isna(primary), "T", tools)
    tools = np.where(use_shared & (np.char.find(tools.astype(str), "T") < 0), tools + "T", tools)
    tools = np.where(kid, "", tools)
    # A household with children buys tickets: the head is a ticketing customer.
    has_kids = np.zeros(len(sizes), dtype=bool)
    has_kids[household[kid]] = True
    buys_tickets = np.char.find(tools.astype(str), "T") >= 0
    tools = np.where((member == 0) & has_kids[household] & ~buys_tickets, tools + "T", tools)
    tools_str = tools.astype(str)

    persons = pd.DataFrame(
        {
            "person_id": person_id,
            "household_id": household + 1,
            "member": member,
            "head": head,
            "household_size": size,
            "gender": gender,
            "first": first,
            "last": last,
            "married_last": married_last,
            "married_at": married_at,
            "birth_day": birth_day,
            "age": age,
            "is_child": kid,
            "country": country_p,
            "phone_cc": phone_cc,
            "phone_digits": digits,
            "postal_code": postal[household],
            "city": city[household],
            "street": street[household],
            "address2": line2[household],
            "email_personal": personal,
            "email_work": np.where(has_work, work.to_numpy(zero_copy_only=False), None),
            "email_alias": np.where(has_alias, alias, None),
            "email_shared": shared,
            "email_primary": primary,
            "in_ticketing": np.char.find(tools_str, "T") >= 0,
            "in_shop": np.char.find(tools_str, "S") >= 0,
            "in_email": np.char.find(tools_str, "E") >= 0,
        }
    )
    return People(persons, tuple(vocab.FIRST_NAMES), tuple(vocab.LAST_NAMES), homonyms)


def phone_e164(persons: pd.DataFrame) -> pa.Array:
    return join("+", text(persons["phone_cc"]), text(persons["phone_digits"]))


def all_emails(persons: pd.DataFrame) -> pa.Array:
    """Every address a person is known by, '|'-joined (the truth's `emails`)."""
    cols = [
        text(persons[c]) for c in ("email_personal", "email_work", "email_alias", "email_shared")
    ]
    return join_present(cols, "|")


def other_email(persons: pd.DataFrame, rng: np.random.Generator, idx: np.ndarray) -> np.ndarray:
    """An address of the person other than the primary one when they have one (work, alias,
    family), else the primary: what they type when not logged in."""
    p = persons.iloc[idx]
    options = np.stack(
        [
            p[c].to_numpy(dtype=object)
            for c in ("email_work", "email_alias", "email_shared", "email_personal")
        ],
        axis=1,
    )
    primary = p["email_primary"].to_numpy(dtype=object)
    usable = ~pd.isna(options) & (options != primary[:, None])
    score = np.where(usable, rng.random(usable.shape), -1.0)
    best = score.argmax(axis=1)
    chosen = options[np.arange(len(idx)), best]
    return np.where(usable.any(axis=1), chosen, primary)
