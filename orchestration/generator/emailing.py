"""The marketing tool's clean world: contacts, campaigns, webhook events, survey answers.

Each campaign goes to a sample of one list's contacts. A contact may end its mail life
once (unsubscribe, hard bounce or spam complaint), after which it receives nothing and is
blacklisted. Survey campaigns collect answers from some of the people who opened them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from . import vocab
from .common import chance, group_rank, increasing_ids, pick, stream
from .people import People, other_email
from .ticketing import NEVER
from .timeline import DAY, HOUR, MINUTE, Timeline, epoch_seconds, paris_to_utc

EVENTS = (
    "delivered",
    "opened",
    "proxy_open",
    "click",
    "unsubscribe",
    "hard_bounce",
    "soft_bounce",
    "spam",
)
# Share of a list each campaign type reaches (campaigns are sent to segments).
REACH = {
    "newsletter": 0.05,
    "match_info": 0.08,
    "promo_ticketing": 0.04,
    "promo_shop": 0.06,
    "survey": 0.06,
}
LANDING_PAGES = {
    "newsletter": "actualites",
    "match_info": "billetterie",
    "promo_ticketing": "billetterie",
    "promo_shop": "boutique",
    "survey": "enquete",
}
SHOP_THEMES = {7: "Nouveau maillot", 12: "Idées cadeaux de Noël", 1: "Soldes d’hiver"}
SCORES = {
    "nps": (0, 10, [3, 2, 2, 3, 3, 5, 6, 10, 18, 22, 26]),
    "csat": (1, 5, [4, 6, 15, 40, 35]),
    "ces": (1, 5, [35, 30, 20, 10, 5]),
}


@dataclass
class Email:
    contacts: pd.DataFrame
    campaigns: pd.DataFrame
    events: pd.DataFrame
    responses: pd.DataFrame


def build_contacts(people: People, season_pass_buyers: np.ndarray, timeline: Timeline, seed: int):
    rng = stream(seed, "contacts")
    p = people.persons
    subscribers = np.flatnonzero(p["in_email"].to_numpy())
    second = subscribers[chance(rng, 0.15, len(subscribers))]
    person = np.r_[subscribers, second]
    email = np.r_[
        p["email_primary"].to_numpy(dtype=object)[subscribers], other_email(p, rng, second)
    ]
    # One contact per address: a family address belongs to whoever subscribed it first.
    by_person = np.argsort(person, kind="stable")
    person, email = person[by_person], email[by_person]
    keep = ~pd.Series(email).duplicated().to_numpy()
    person, email = person[keep], email[keep]
    n = len(person)

    imported = chance(rng, 0.35, n)  # came from the club's previous CRM
    crm_start = epoch_seconds(date(2019, 1, 1))
    created = np.where(
        imported,
        rng.integers(crm_start, timeline.start, n),
        rng.integers(timeline.start, timeline.end, n),
    )
    order = np.argsort(created, kind="stable")
    person, email, created = person[order], email[order], created[order]

    lists = np.stack(
        [
            chance(rng, 0.9, n),
            p["in_ticketing"].to_numpy()[person] & chance(rng, 0.8, n),
            p["in_shop"].to_numpy()[person] & chance(rng, 0.75, n),
            np.isin(person, season_pass_buyers) & chance(rng, 0.9, n),
        ],
        axis=1,
    )
    lists[:, 0] |= ~lists.any(axis=1)
    return pd.DataFrame(
        {
            "contact_id": increasing_ids(rng, n, 0, 1),
            "person": person,
            "email": email,
            "created": created,
            "lists": list(lists),
            "blacklisted_from_start": chance(rng, 0.03, n),
            "sms_blacklisted": chance(rng, 0.3, n),
            "show_name": chance(rng, 0.8, n),
            "show_birth": chance(rng, 0.35, n),
            "show_postcode": chance(rng, 0.6, n),
            "profile_update": created + rng.integers(0, 400 * DAY, n),
        }
    )


def _at(day: date, hh: int, mm: int = 0) -> int:
    return int(paris_to_utc(np.array([epoch_seconds(day) + hh * HOUR + mm * MINUTE]))[0])


def build_campaigns(matches: pd.DataFrame, timeline: Timeline, seed: int) -> pd.DataFrame:
    rng = stream(seed, "campaigns")
    rows = []  # (sent_at, name, subject, type, list, survey, touchpoint)
    day = date(timeline.season_years[0], 5, 15)
    while day <= timeline.end_date:
        week = day.isocalendar().week
        if day.weekday() == 3:
            rows.append(
                (
                    _at(day, 10),
                    f"Newsletter S{week:02d}",
                    f"Les news du club – semaine {week}",
                    "newsletter",
                    "Newsletter",
                    "",
                    "",
                )
            )
        if day.weekday() == 1 and week % 2 == 0:
            offer = ["Dernières places", "Pack famille", "Places à 10 €", "Offre abonnés"][week % 4]
            rows.append(
                (
                    _at(day, 12),
                    f"{offer} S{week:02d}",
                    f"{offer} : réservez vite !",
                    "promo_ticketing",
                    "Billetterie",
                    "",
                    "",
                )
            )
        if day.day == 5 or (day.month, day.day) == (11, 27):
            theme = (
                "Black Friday"
                if day.month == 11 and day.day == 27
                else SHOP_THEMES.get(day.month, "La boutique du mois")
            )
            rows.append(
                (
                    _at(day, 9),
                    f"{theme} {day:%m/%Y}",
                    f"{theme} à la boutique",
                    "promo_shop",
                    "Boutique",
                    "",
                    "",
                )
            )
        if day.day == 15:
            rows.append(
                (
                    _at(day, 17),
                    f"Enquête boutique {day:%m/%Y}",
                    "Votre avis sur votre commande",
                    "survey",
                    "Boutique",
                    "csat",
                    "shop",
                )
            )
        if day.day == 20:
            rows.append(
                (
                    _at(day, 17),
                    f"Enquête billetterie {day:%m/%Y}",
                    "Acheter vos places était-il simple ?",
                    "survey",
                    "Billetterie",
                    "ces",
                    "ticketing",
                )
            )
        if day.day == 25 and day.month % 3 == 0:
            rows.append(
                (
                    _at(day, 17),
                    f"Enquête service client {day:%m/%Y}",
                    "Comment s’est passé votre échange ?",
                    "survey",
                    "Newsletter",
                    "csat",
                    "customer_service",
                )
            )
        day += timedelta(days=1)
    home = matches[matches["home_away"] == "D"]
    for match in home.itertuples():
        derby = match.opponent in ("Olympique Lyonnais", "AS Saint-Étienne")
        label = "Derby" if derby else match.opponent
        match_date = date(1970, 1, 1) + timedelta(days=int(match.match_day))
        rows.append(
            (
                _at(match_date - timedelta(days=3), 11),
                f"J-3 {label}",
                f"J-3 avant {match.opponent} : tout savoir",
                "match_info",
                "Billetterie",
                "",
                "",
            )
        )
        rows.append(
            (
                _at(match_date + timedelta(days=1), 18),
                f"Votre avis : {label} {match_date:%d/%m}",
                "Notez votre soirée au stade",
                "survey",
                "Billetterie",
                "nps",
                "match_day",
            )
        )
    campaigns = pd.DataFrame(
        rows, columns=["sent_at", "name", "subject", "type", "list", "survey", "touchpoint"]
    )
    campaigns = campaigns[
        (campaigns["sent_at"] >= timeline.start) & (campaigns["sent_at"] < timeline.end)
    ]
    campaigns = campaigns.sort_values(["sent_at", "name"], kind="stable", ignore_index=True)
    campaigns.insert(0, "campaign_id", increasing_ids(rng, len(campaigns), 0, 1))
    return campaigns


def _receptions(rng, contacts: pd.DataFrame, campaigns: pd.DataFrame):
    """(contact, campaign) pairs: a sample of the list, among contacts existing then."""
    in_list = np.stack(contacts["lists"].to_numpy())
    created = contacts["created"].to_numpy()
    open_to_mail = ~contacts["blacklisted_from_start"].to_numpy()
    pairs_contact, pairs_campaign = [], []
    for c, (sent, list_name, kind) in enumerate(
        campaigns[["sent_at", "list", "type"]].itertuples(index=False)
    ):
        column = vocab.MAIL_LISTS.index(list_name)
        audience = np.flatnonzero(in_list[:, column] & (created < sent) & open_to_mail)
        chosen = audience[rng.random(len(audience)) < REACH[kind]]
        pairs_contact.append(chosen)
        pairs_campaign.append(np.full(len(chosen), c))
    contact, campaign = np.concatenate(pairs_contact), np.concatenate(pairs_campaign)
    order = np.lexsort((campaign, contact))
    return contact[order], campaign[order]


def build_events(contacts: pd.DataFrame, campaigns: pd.DataFrame, timeline: Timeline, seed: int):
    rng = stream(seed, "email_events")
    contact, campaign = _receptions(rng, contacts, campaigns)
    # The one reception (if any) at which a contact leaves: later ones never happen.
    n_received = np.bincount(contact, minlength=len(contacts))
    leaves = pick(rng, {"": 917, "unsubscribe": 70, "hard_bounce": 10, "spam": 3}, len(contacts))
    leave_rank = (rng.random(len(contacts)) * np.maximum(n_received, 1)).astype(np.int64)
    rank = group_rank(contact)
    keep = (leaves[contact] == "") | (rank <= leave_rank[contact])
    contact, campaign, rank = contact[keep], campaign[keep], rank[keep]
    n = len(contact)
    terminal = np.where(rank == leave_rank[contact], leaves[contact], "")

    sent = campaigns["sent_at"].to_numpy()[campaign]
    delivered_at = sent + rng.integers(5, 600, n)
    bounced = terminal == "hard_bounce"
    soft = ~bounced & chance(rng, 0.02, n)
    delivered = ~bounced & ~soft
    opened = delivered & (chance(rng, 0.3, n) | (terminal == "unsubscribe"))
    opened_at = delivered_at + np.minimum(rng.exponential(3 * HOUR, n), 3 * DAY).astype(np.int64)
    clicked = opened & chance(rng, 0.25, n)
    proxy = delivered & chance(rng, 0.12, n)
    kinds = [
        ("delivered", delivered, delivered_at),
        ("hard_bounce", bounced, delivered_at),
        ("soft_bounce", soft, delivered_at),
        ("proxy_open", proxy, delivered_at + rng.integers(1, 120, n)),
        ("opened", opened, opened_at),
        ("click", clicked, opened_at + rng.integers(5, 600, n)),
        (
            "unsubscribe",
            delivered & (terminal == "unsubscribe"),
            opened_at + rng.integers(10, 300, n),
        ),
        ("spam", delivered & (terminal == "spam"), delivered_at + rng.integers(MINUTE, DAY, n)),
    ]
    events = pd.DataFrame(
        {
            "contact": np.concatenate([contact[m] for _, m, _ in kinds]),
            "campaign": np.concatenate([campaign[m] for _, m, _ in kinds]),
            "event": pd.Categorical(
                np.concatenate([np.full(m.sum(), k) for k, m, _ in kinds]), categories=EVENTS
            ),
            "ts_event": np.concatenate([t[m] for _, m, t in kinds]),
        }
    )
    events = events[events["ts_event"] < timeline.end]
    events = events.sort_values(
        ["ts_event", "contact", "campaign", "event"], kind="stable", ignore_index=True
    )
    events.insert(0, "event_id", increasing_ids(rng, len(events), 80_000, 3))
    events["ts_sent"] = campaigns["sent_at"].to_numpy()[events["campaign"].to_numpy()]
    return events


def blacklist_times(contacts: pd.DataFrame, events: pd.DataFrame) -> np.ndarray:
    """When each contact became blacklisted for email (NEVER if not)."""
    leaving = events["event"].isin(["unsubscribe", "hard_bounce", "spam"]).to_numpy()
    at = np.full(len(contacts), NEVER)
    np.minimum.at(at, events["contact"].to_numpy()[leaving], events["ts_event"].to_numpy()[leaving])
    return np.where(
        contacts["blacklisted_from_start"].to_numpy(), contacts["created"].to_numpy(), at
    )


def build_responses(contacts, campaigns, events, timeline: Timeline, seed: int) -> pd.DataFrame:
    rng = stream(seed, "survey_responses")
    is_survey = (campaigns["type"] == "survey").to_numpy()
    opens = events[
        (events["event"] == "opened").to_numpy() & is_survey[events["campaign"].to_numpy()]
    ]
    answers = opens[chance(rng, 0.35, len(opens))]
    n = len(answers)
    answered = answers["ts_event"].to_numpy() + rng.integers(MINUTE, 30 * MINUTE, n)
    # Some people answer the same survey again later: only their latest answer counts.
    again = chance(rng, 0.05, n)
    again[:1] = True  # at least one second answer, whatever the size of the world
    contact = np.r_[answers["contact"].to_numpy(), answers["contact"].to_numpy()[again]]
    campaign = np.r_[answers["campaign"].to_numpy(), answers["campaign"].to_numpy()[again]]
    answered = np.r_[answered, answered[again] + rng.integers(HOUR, 3 * DAY, int(again.sum()))]
    survey = campaigns["survey"].to_numpy()[campaign]
    score = np.zeros(len(contact), dtype=np.int64)
    for kind, (low, _high, weights) in SCORES.items():
        here = survey == kind
        score[here] = low + pick(rng, dict(enumerate(weights)), int(here.sum())).astype(np.int64)
    comment = np.where(
        chance(rng, 0.25, len(contact)),
        np.array(vocab.SURVEY_COMMENTS, dtype=object)[
            rng.integers(0, len(vocab.SURVEY_COMMENTS), len(contact))
        ],
        None,
    )
    responses = pd.DataFrame(
        {
            "contact": contact,
            "campaign": campaign,
            "survey": survey,
            "touchpoint": campaigns["touchpoint"].to_numpy()[campaign],
            "score": score,
            "comment": comment,
            "answered_at": answered,
        }
    )
    responses = responses[responses["answered_at"] < timeline.end]
    responses = responses.sort_values(["answered_at", "contact"], kind="stable", ignore_index=True)
    responses.insert(0, "response_id", increasing_ids(rng, len(responses), 900_000, 4))
    latest = responses.groupby(["campaign", "contact"])["answered_at"].transform("max")
    responses["is_latest"] = (responses["answered_at"] == latest).to_numpy()
    return responses


def build_email(
    people: People, season_pass_buyers, matches, timeline: Timeline, seed: int
) -> Email:
    contacts = build_contacts(people, season_pass_buyers, timeline, seed)
    campaigns = build_campaigns(matches, timeline, seed)
    events = build_events(contacts, campaigns, timeline, seed)
    contacts["blacklisted_at"] = blacklist_times(contacts, events)
    responses = build_responses(contacts, campaigns, events, timeline, seed)
    return Email(contacts, campaigns, events, responses)
