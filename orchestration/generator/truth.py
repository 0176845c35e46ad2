"""What the generator knows and the pipeline must rediscover: `<out>/_truth/`.

source_records.csv  which person each identity record belongs to
persons.csv         the persons themselves (their birth surname; `married_last_name` and
                    `married_on` for those who marry in the history: the records they
                    create from that day, Paris time, carry the new surname)
files.csv           every contract file written: its data rows and deliberately bad rows,
                    its variants (what is unusual about it: exports.Plan.variants) and,
                    for a delta with records whose bytes are an earlier file's of its type
                    (a re-delivery under a later date), that file (`duplicate_of`): its
                    records count once
clean/*.parquet     the clean model (final state as of the end date)
expected.json       headline figures (net revenue, distinct entity counts), and the records
                    the warehouse must treat apart: `contacts_deleted_upstream` (CONTACT_IDs
                    absent from the newest contacts snapshot: kept, flagged, never activated)
                    and `anomalous_shop_orders` (order names with a refund larger than the
                    total: set aside as no sale, so in no count, revenue or source record)

Noise in person attributes (misspelt names, nicknames, phone forms, slips in birth dates,
blank fields) is not listed: source_records.csv says whose each record is and persons.csv
holds the true values, so every difference between the two is noise. expected.json's
`identity_noise` counts the identity traps added for issue 9, per record type where the
files show them (so that their rates can be checked):
  email_typos                typed addresses mistyped (gmial.com, a one-letter slip)
  first_names_cut            compound first names written as their first part (Jean)
  first_name_initials        box-office first names written as an initial (J. or J)
  married_surname_records    records from after a wedding with a surname shown: the new one
  double_barrelled_surnames  ... written 'Birth-Married'
  address_lines_reordered    addresses typed with the flat/building line before the street
  street_typos, city_typos   a letter slip in the street or the city
  postal_codes_transposed    two neighbouring postal code digits swapped
  married_persons            persons who marry in the history
  friend_holder_records      named ticket holders from another household than the buyer's
  friend_holders             distinct persons among them
  homonym_pairs              [person_id, person_id]: same first name, surname and postal
                             code, other households, other birth dates and addresses
(first-name counts leave out records with first and last name swapped.)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .exports import NO_DAY, Delivery
from .formats import integer, iso_date, text
from .people import all_emails, phone_e164
from .ticketing import NEVER
from .timeline import DAY, paris_offset
from .world import World
from .writers import write_delimited


def _write_csv(path: Path, columns: dict[str, pa.Array]) -> None:
    write_delimited(path, list(columns), [pa.table(columns)], ",")


def _utc(seconds) -> pd.Series:
    return pd.to_datetime(np.asarray(seconds, dtype=np.int64), unit="s", utc=True)


def _euros(cents) -> np.ndarray:
    return np.asarray(cents, dtype=np.int64) / 100


def source_records(world: World) -> pd.DataFrame:
    t, s, e = world.ticketing, world.shop, world.email
    named = t.tickets["named"].to_numpy() & (t.tickets["holder"].to_numpy() >= 0)
    parts = [
        ("ticketing_account", t.accounts["account_id"], t.accounts["buyer"]),
        ("ticketing_order", t.orders["order_id"], t.orders["buyer"]),
        ("ticket_holder", t.tickets["ticket_id"][named], t.tickets["holder"][named]),
        ("shop_customer", s.customers["customer_id"], s.customers["person"]),
        ("shop_order", s.orders["shopify_id"], s.orders["person"]),
        ("email_contact", e.contacts["contact_id"], e.contacts["person"]),
    ]
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "record_type": kind,
                    "record_id": ids.to_numpy(),
                    "person_id": person.to_numpy() + 1,
                }
            )
            for kind, ids, person in parts
        ],
        ignore_index=True,
    )


def identity_noise(world: World, delivery: Delivery) -> dict:
    """The identity traps of the files (see the module's docstring)."""
    by_kind: dict[str, dict[str, int]] = {}
    for (record_type, kind), count in sorted(delivery.identity_noise.items()):
        by_kind.setdefault(kind, {})[record_type] = count
    p = world.people.persons
    household = p["household_id"].to_numpy()
    tickets = world.ticketing.tickets
    holder = tickets["holder"].to_numpy()
    buyer = world.ticketing.orders["buyer"].to_numpy()[tickets["order"].to_numpy()]
    friend = tickets["named"].to_numpy() & (holder >= 0)
    friend &= household[np.maximum(holder, 0)] != household[buyer]
    person_id = p["person_id"].to_numpy()
    return {
        "email_typos": by_kind.get("email_typo", {}),
        "first_names_cut": by_kind.get("first_name_cut", {}),
        "first_name_initials": by_kind.get("first_name_initial", {}),
        "married_surname_records": by_kind.get("married_surname", {}),
        "double_barrelled_surnames": by_kind.get("double_barrelled_surname", {}),
        "address_lines_reordered": by_kind.get("address_parts_reordered", {}),
        "street_typos": by_kind.get("street_typo", {}),
        "city_typos": by_kind.get("city_typo", {}),
        "postal_codes_transposed": by_kind.get("postal_code_transposed", {}),
        "married_persons": int((p["married_last"] >= 0).sum()),
        "friend_holder_records": int(friend.sum()),
        "friend_holders": int(len(np.unique(holder[friend]))),
        "homonym_pairs": [
            [int(person_id[a]), int(person_id[b])] for a, b in world.people.homonym_pairs
        ],
    }


def _days(days: np.ndarray) -> pd.Series:
    """Epoch days as dates; NO_DAY as null."""
    known = np.asarray(days) != NO_DAY
    dates = pd.Series(pd.to_datetime(np.where(known, days, 0), unit="D").date, dtype=object)
    return dates.where(known, None)


def clean_tables(world: World, delivery: Delivery) -> Iterator[tuple[str, pd.DataFrame]]:
    """The clean model, one table at a time (so that only one is in memory)."""
    t, s, e = world.ticketing, world.shop, world.email
    m = t.matches
    deleted_upstream = np.zeros(len(e.contacts), dtype=bool)
    deleted_upstream[delivery.contacts_deleted_upstream] = True
    ticket_match = t.tickets["match"].to_numpy()
    ticket_match_id = np.where(
        ticket_match >= 0, m["match_id"].to_numpy(dtype=object)[np.maximum(ticket_match, 0)], None
    )
    holder = t.tickets["holder"].to_numpy()
    contact_person = e.contacts["person"].to_numpy() + 1
    campaign_id = e.campaigns["campaign_id"].to_numpy()
    tables = {
        "matches": lambda: pd.DataFrame(
            {
                "match_id": m["match_id"],
                "match_date": pd.to_datetime(m["match_day"], unit="D").dt.date,
                "season": m["season"],
                "competition": m["competition"],
                "opponent": m["opponent"],
                "home_away": m["home_away"],
                "venue": m["venue"],
                "capacity": m["capacity"],
                "kickoff_utc": _utc(m["kickoff"]),
            }
        ),
        "ticket_accounts": lambda: pd.DataFrame(
            {
                "account_id": t.accounts["account_id"],
                "person_id": t.accounts["buyer"] + 1,
                "email": t.accounts["email"],
            }
        ),
        "ticket_orders": lambda: pd.DataFrame(
            {
                "order_id": t.orders["order_id"],
                "account_id": t.orders["account_id"],
                "person_id": t.orders["buyer"] + 1,
                "created_at_utc": _utc(t.orders["created"]),
                "status": t.orders["status"],
                "sales_channel": t.orders["channel"],
                "total_amount_eur": _euros(t.orders["total"]),
            }
        ),
        "tickets": lambda: pd.DataFrame(
            {
                "ticket_id": t.tickets["ticket_id"],
                "order_id": t.tickets["order_id"],
                "match_id": ticket_match_id,
                "season": t.tickets["season"],
                "product_type": t.tickets["product_type"],
                "price_category": t.tickets["price_category"],
                "price": _euros(t.tickets["price"]),
                "status": t.tickets["status"],
                "holder_person_id": pd.Series(holder + 1, dtype="Int64").mask(holder < 0),
            }
        ),
        "access_scans": lambda: pd.DataFrame(
            {
                "scan_id": t.scans["scan_id"],
                "ticket_id": t.scans["ticket_id"],
                "match_id": t.scans["match_id"],
                "gate": t.scans["gate"],
                "scanned_at_utc": _utc(t.scans["scanned_at"]),
                "result": t.scans["result"],
            }
        ),
        "shop_customers": lambda: pd.DataFrame(
            {
                "customer_id": s.customers["customer_id"],
                "person_id": s.customers["person"] + 1,
                "email": s.customers["email"],
                "created_at_utc": _utc(s.customers["created"]),
            }
        ),
        "shop_orders": lambda: pd.DataFrame(
            {
                "order_id": s.orders["shopify_id"],
                "name": s.orders["name"],
                "customer_id": s.orders["customer_id"],
                "person_id": s.orders["person"] + 1,
                "created_at_utc": _utc(s.orders["created"]),
                "financial_status": s.orders["financial_status"],
                "currency": s.orders["currency"],
                "subtotal": _euros(s.orders["subtotal"]),
                "shipping": _euros(s.orders["shipping"]),
                "discount": _euros(s.orders["discount"]),
                "taxes": _euros(s.orders["taxes"]),
                "total": _euros(s.orders["total"]),
                "refunded_amount": _euros(s.orders["refunded"]),
            }
        ),
        "shop_order_lines": lambda: pd.DataFrame(
            {
                "order_id": s.lines["order_id"],
                "name": s.lines["name"],
                "line_number": s.lines["position"] + 1,
                "sku": s.lines["sku"],
                "product_name": s.lines["product_name"],
                "quantity": s.lines["quantity"],
                "price": _euros(s.lines["price"]),
            }
        ),
        "contacts": lambda: pd.DataFrame(
            {
                "contact_id": e.contacts["contact_id"],
                "person_id": contact_person,
                "email": e.contacts["email"],
                "created_at_utc": _utc(e.contacts["created"]),
                "email_blacklisted": e.contacts["blacklisted_at"].to_numpy() < NEVER,
                # what the exports tell of it: the DATE_OF_BIRTH last delivered (as typed),
                # null when no snapshot with the column gave one
                "date_of_birth": _days(delivery.contact_birth_days),
                "deleted_upstream": deleted_upstream,
            }
        ),
        "campaigns": lambda: pd.DataFrame(
            {
                "campaign_id": campaign_id,
                "name": e.campaigns["name"],
                "type": e.campaigns["type"],
                "sent_at_utc": _utc(e.campaigns["sent_at"]),
                "list": e.campaigns["list"],
                "survey": e.campaigns["survey"],
                "touchpoint": e.campaigns["touchpoint"],
            }
        ),
        "email_events": lambda: pd.DataFrame(
            {
                "event_id": e.events["event_id"],
                "campaign_id": campaign_id[e.events["campaign"].to_numpy()],
                "contact_id": e.contacts["contact_id"].to_numpy()[e.events["contact"].to_numpy()],
                "person_id": contact_person[e.events["contact"].to_numpy()],
                "event": e.events["event"].astype(str),
                "ts_event_utc": _utc(e.events["ts_event"]),
            }
        ),
        "survey_responses": lambda: pd.DataFrame(
            {
                "response_id": e.responses["response_id"],
                "campaign_id": campaign_id[e.responses["campaign"].to_numpy()],
                "contact_id": e.contacts["contact_id"].to_numpy()[
                    e.responses["contact"].to_numpy()
                ],
                "person_id": contact_person[e.responses["contact"].to_numpy()],
                "survey": e.responses["survey"],
                "touchpoint": e.responses["touchpoint"],
                "score": e.responses["score"],
                "answered_at_utc": _utc(e.responses["answered_at"]),
                "is_latest": e.responses["is_latest"],
            }
        ),
    }
    for name, make in tables.items():
        yield name, make()


def net_revenue(clean: dict[str, pd.DataFrame], fx: dict[str, float]) -> dict[str, float]:
    """The contract's definitions: ticketing = totals of orders finally paid; shop = per
    order round((Total - Refunded) x rate, 2), nothing for voided or pending orders."""
    orders = clean["ticket_orders"]
    ticketing_cents = np.round(
        orders.loc[orders["status"] == "paid", "total_amount_eur"] * 100
    ).sum()
    shop = clean["shop_orders"]
    counted = ~shop["financial_status"].isin(["voided", "pending"])
    net = np.round((shop["total"] - shop["refunded_amount"]) * shop["currency"].map(fx), 2)
    shop_cents = np.round(net[counted] * 100).sum()
    return {
        "ticketing": round(int(ticketing_cents) / 100, 2),
        "shop": round(int(shop_cents) / 100, 2),
    }


def write_truth(out_dir: Path, world: World, delivery: Delivery) -> dict:
    truth = out_dir / "_truth"
    files = delivery.files
    records = source_records(world)
    _write_csv(
        truth / "source_records.csv",
        {
            "record_type": text(records["record_type"]),
            "record_id": integer(records["record_id"]),
            "person_id": integer(records["person_id"]),
        },
    )
    p = world.people.persons
    married_last = p["married_last"].to_numpy()
    married = married_last >= 0
    married_at = np.where(married, p["married_at"].to_numpy(), 0)
    married_day = (married_at + paris_offset(married_at)) // DAY  # the Paris date
    _write_csv(
        truth / "persons.csv",
        {
            "person_id": integer(p["person_id"]),
            "household_id": integer(p["household_id"]),
            "first_name": text(
                np.array(world.people.first_names, dtype=object)[p["first"].to_numpy()]
            ),
            "last_name": text(
                np.array(world.people.last_names, dtype=object)[p["last"].to_numpy()]
            ),
            "birth_date": iso_date(p["birth_day"]),
            "married_last_name": text(
                np.where(
                    married,
                    np.array(world.people.last_names, dtype=object)[married_last],
                    None,
                )
            ),
            "married_on": iso_date(married_day, blank=~married),
            "emails": all_emails(p),
            "phone_e164": phone_e164(p),
            "postal_code": text(p["postal_code"]),
            "city": text(p["city"]),
        },
    )
    _write_csv(
        truth / "files.csv",
        {
            "file": text([f.path for f in files]),
            "rows": integer([f.rows for f in files]),
            "bad_rows": integer([f.bad_rows for f in files]),
            "variants": text(["|".join(f.variants) for f in files]),
            "duplicate_of": text([f.duplicate_of for f in files]),
        },
    )
    (truth / "clean").mkdir(parents=True, exist_ok=True)
    sizes, revenue_inputs = {}, {}
    for name, frame in clean_tables(world, delivery):
        pq.write_table(
            pa.Table.from_pandas(frame, preserve_index=False), truth / "clean" / f"{name}.parquet"
        )
        sizes[name] = int(frame["is_latest"].sum()) if name == "survey_responses" else len(frame)
        if name in ("ticket_orders", "shop_orders"):
            revenue_inputs[name] = frame

    summary = {
        "as_of_date": world.timeline.end_date.isoformat(),
        "persons": int(records["person_id"].nunique()),
        "net_revenue_eur": net_revenue(revenue_inputs, world.fx),
        "counts": {
            "ticket_orders": sizes["ticket_orders"],
            "tickets": sizes["tickets"],
            "access_scans": sizes["access_scans"],
            "shop_orders": sizes["shop_orders"],
            "shop_order_lines": sizes["shop_order_lines"],
            "email_events": sizes["email_events"],
            "survey_responses": sizes["survey_responses"],  # the latest answer per survey only
            "email_contacts": sizes["contacts"],
            "shop_customers": sizes["shop_customers"],
            "matches": sizes["matches"],
            "campaigns": sizes["campaigns"],
        },
        "contacts_deleted_upstream": [
            int(i)
            for i in world.email.contacts["contact_id"].to_numpy()[
                delivery.contacts_deleted_upstream
            ]
        ],
        "anomalous_shop_orders": delivery.anomalous_shop_orders,
        "identity_noise": identity_noise(world, delivery),
    }
    (truth / "expected.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
