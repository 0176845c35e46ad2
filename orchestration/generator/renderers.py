"""How each tool writes its records: one renderer per contract file type.

A record's spelling (typo, nickname, compound first name cut short, initial, the surname
of the day, phone form, email case or typo, slip in a birth date, blank fields...) is
drawn once, as the tool stored it, so a record delivered again on a later
night only differs in what changed (status, updated_at, refunds). How a file writes its
values can change from one file to the next (a `Style`: kickoff time in match_date,
thousands separators, ISO timestamps); the export layer says which file does what.
Renderers return pyarrow tables whose columns are the contract's headers in the contract's
order; `timing` says when each record was created and last changed, from which the export
layer picks each night's rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..landing.contract import FILE_TYPES_BY_NAME
from . import vocab
from .common import cents, chance, expand, stream
from .emailing import LANDING_PAGES
from .formats import (
    blank_where,
    flag,
    fr_date,
    fr_timestamp,
    grouped,
    integer,
    iso_date,
    join,
    join_present,
    money,
    paris_iso,
    paris_iso_t,
    shopify_timestamp,
    text,
    utc_iso,
)
from .noise import (
    ADDRESS_SLIPS,
    Nicknames,
    birth_dates_as_typed,
    drop_leading_zero,
    email_case,
    email_typos,
    phone_form_draw,
    phone_forms,
    slip_last_word,
    spell,
    swap,
    transpose_digits,
    variant_table,
)
from .people import all_emails
from .ticketing import NEVER
from .timeline import epoch_day
from .world import World

SITE = "https://www.grandstand-fc.fr"
CACHED_VIEWS = {
    "ticketing_orders": "_ticket_orders",
    "ticketing_tickets": "_tickets",
    "shop_orders": "_shop_orders",
    "shop_customers": "_shop_customers",
    "email_contacts": "_contacts",
    "email_survey_responses": "_responses",
}


NICKNAME_RATE = 0.04  # of first names that have a short form, x messiness
CUT_FIRST_NAME_RATE = 0.1  # of compound first names written as their first part, x messiness
INITIAL_RATE = 0.25  # of box-office first names written as an initial ('J.'), x messiness
DOUBLE_BARRELLED_RATE = 0.25  # of married surnames written 'Birth-Married'
# Typed addresses with a typo (x messiness): the ticketing forms, the holder's address the
# buyer types for them and the shop's checkout. The email tool's contacts and the shop's
# customer accounts keep the address that receives the mail (a typo would bounce).
EMAIL_TYPO_RATES = {"ticketing_order": 0.015, "ticket_holder": 0.03, "shop_order": 0.01}
MISSING_PHONE_RATE = 0.03  # phones left blank on a form that usually has one, x messiness


@dataclass(frozen=True)
class Style:
    """How one file writes some of its values, when it differs from the usual."""

    kickoff_time: bool = False  # match_date 'DD/MM/YYYY HH:MM' (kickoff, Paris time)
    thousands_separator: str = ""  # ticketing amounts '1 234,50', capacity '25 000'
    iso_timestamps: bool = False  # ticketing 'YYYY-MM-DDTHH:MM:SS' (Paris time, no zone)


PLAIN = Style()


@dataclass(frozen=True)
class WrittenNames:
    """First and last names as a record writes them, and which noise they carry."""

    first: pa.Array
    last: pa.Array
    swapped: np.ndarray  # first and last name exchanged
    cut: np.ndarray  # compound first name written as its first part (Jean-Baptiste -> Jean)
    initial: np.ndarray  # first name written as its initial ('J.' or 'J')
    married: np.ndarray  # the surname taken on marrying (the record is from after it)
    double: np.ndarray  # ... written after the birth surname ('Martin-Gallas')


@dataclass(frozen=True)
class Place:
    """An address as a record writes it (ADDRESS_SLIPS): the one-line form, its parts."""

    line: pa.Array  # street and flat/building line, in one field
    street: pa.Array
    address2: pa.Array
    postal_code: pa.Array
    city: pa.Array


def _np(values: pa.Array) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False)


def assemble(file_type: str, columns: dict[str, pa.Array]) -> pa.Table:
    """The columns in the contract's order (every contract column must be given)."""
    headers = list(FILE_TYPES_BY_NAME[file_type].columns)
    return pa.table({h: columns[h] for h in headers})


class Tools:
    """The export views of the three tools over one clean world."""

    def __init__(self, world: World, nicknames: Iterable[tuple[str, str]] = ()):
        self.world = world
        self.m = world.messiness
        rng = stream(world.seed, "spellings")
        self.first_spellings = variant_table(world.people.first_names, rng)
        self.last_spellings = variant_table(world.people.last_names, rng)
        self.nicknames = Nicknames(world.people.first_names, list(nicknames))
        self.latest_birth_day = epoch_day(world.timeline.end_date)
        self.persons = world.people.persons
        self._person_text: dict[str, pa.Array] = {}
        words = world.people.first_names
        self.first_part = np.array([w.split("-")[0] for w in words], dtype=object)
        self.compound = np.array(["-" in w for w in words])
        # Identity noise made, by (record type, kind): records carrying it (for the truth).
        self.noise: dict[tuple[str, str], int] = {}
        self._typos: dict[str, np.ndarray] = {}

    # --- shared pieces ---------------------------------------------------------------
    def _rng(self, name: str) -> np.random.Generator:
        return stream(self.world.seed, f"render:{name}")

    def names(
        self,
        person: np.ndarray,
        rng,
        record_type: str,
        created: np.ndarray,
        initials: np.ndarray | None = None,
    ) -> WrittenNames:
        """First and last name as typed on records created at `created`: sometimes
        misspelt, a nickname, a compound first name cut short, an initial where `initials`
        (box-office records), the married surname after the wedding, or swapped. The noise
        added since issue 9 draws from its own stream, so the older draws stay the same."""
        n = len(person)
        more = self._rng(f"{record_type}:names")
        first_code = self.persons["first"].to_numpy()[person]
        first = spell(first_code, self.first_spellings, rng, 0.1 * self.m)
        first = self.nicknames.apply(first_code, first, rng, NICKNAME_RATE * self.m)
        cut = self.compound[first_code] & chance(more, CUT_FIRST_NAME_RATE * self.m, n)
        first = pc.if_else(pa.array(cut), text(self.first_part[first_code]), first)
        initial = np.zeros(n, dtype=bool) if initials is None else initials
        initial = initial & chance(more, INITIAL_RATE * self.m, n)
        with_dot = pc.if_else(pa.array(chance(more, 0.5, n)), ".", "")
        first = pc.if_else(
            pa.array(initial), join(pc.utf8_slice_codeunits(first, 0, 1), with_dot), first
        )

        birth_name = self.persons["last"].to_numpy()[person]
        married_name = self.persons["married_last"].to_numpy()[person]
        married = np.asarray(created) >= self.persons["married_at"].to_numpy()[person]
        last = spell(
            np.where(married, married_name, birth_name), self.last_spellings, rng, 0.1 * self.m
        )
        double = married & chance(more, DOUBLE_BARRELLED_RATE, n)
        birth = spell(birth_name, self.last_spellings, more, 0.1 * self.m)
        last = pc.if_else(pa.array(double), join(birth, "-", last), last)
        swapped = chance(rng, 0.03 * self.m, n)
        first, last = swap(first, last, swapped)
        return WrittenNames(first, last, swapped, cut & ~initial, initial, married, double)

    def count_names(
        self, record_type: str, names: WrittenNames, first_shown, last_shown, records=None
    ) -> None:
        """Note the name noise `record_type`'s records show (those of `records` when
        given: ticket holders are records only when named)."""
        keep = np.ones(len(names.swapped), bool) if records is None else records
        first_shown = keep & np.asarray(first_shown) & ~names.swapped
        last_shown = keep & np.asarray(last_shown)
        self.noise |= {
            (record_type, "first_name_cut"): int((names.cut & first_shown).sum()),
            (record_type, "first_name_initial"): int((names.initial & first_shown).sum()),
            (record_type, "married_surname"): int((names.married & last_shown).sum()),
            (record_type, "double_barrelled_surname"): int((names.double & last_shown).sum()),
        }

    @cached_property
    def _taken_emails(self) -> set[str]:
        """Every address someone has, lower case: a typo never gives one of them."""
        joined = all_emails(self.persons).to_pylist()
        return {e.lower() for cell in joined if cell for e in cell.split("|")}

    def phones(self, person: np.ndarray, rng) -> pa.Array:
        """The person's phone in the form typed, now and then left out of the form."""
        cc = self.person_column("phone_cc", person)
        digits = self.person_column("phone_digits", person)
        phone = phone_forms(cc, digits, phone_form_draw(rng, len(person), self.m))
        return blank_where(phone, chance(rng, MISSING_PHONE_RATE * self.m, len(person)))

    def birth_dates(self, person: np.ndarray, rng) -> tuple[np.ndarray, np.ndarray]:
        """Birth dates (epoch days) as typed, and where the field was left blank."""
        days = self.persons["birth_day"].to_numpy()[person]
        return birth_dates_as_typed(days, rng, self.m, self.latest_birth_day)

    @staticmethod
    def ticketing_timestamp(utc, style: Style, with_seconds=True) -> pa.Array:
        """The platform's 'DD/MM/YYYY HH:MM[:SS]', or ISO when the file is written so."""
        return paris_iso_t(utc) if style.iso_timestamps else fr_timestamp(utc, with_seconds)

    def emails(
        self, values: np.ndarray, rng, rate: float = 0.06, record_type: str = ""
    ) -> pa.Array:
        """Addresses as typed: the case of some changed; on the forms of EMAIL_TYPO_RATES
        some mistyped (drawn from their own stream), noted in `noise`."""
        typo_rate = EMAIL_TYPO_RATES.get(record_type, 0.0) * self.m
        if typo_rate:
            more = self._rng(f"{record_type}:email_typos")
            values, typo = email_typos(values, more, typo_rate, self._taken_emails)
            self._typos[record_type] = typo
        return email_case(text(values), rng, rate * self.m)

    def count_email_typos(self, record_type: str, written: pa.Array) -> None:
        """Note the typos the addresses as finally written (some blanked) show."""
        typo = self._typos.pop(record_type, np.zeros(len(written), dtype=bool))
        shown = ~_np(pc.is_null(written))
        self.noise[record_type, "email_typo"] = int((typo & shown).sum())

    def person_column(self, column: str, person: np.ndarray) -> pa.Array:
        if column not in self._person_text:
            self._person_text[column] = text(self.persons[column])
        return self._person_text[column].take(pa.array(person))

    def place(self, person: np.ndarray, record_type: str, shown, reorder: bool = False) -> Place:
        """Where `person` lives, as typed on one record type's forms (ADDRESS_SLIPS); the
        slips shown (`shown`: the record gives an address) are counted in `noise`."""
        rng = self._rng(f"{record_type}:address")
        rate = {kind: r * self.m for kind, r in ADDRESS_SLIPS.items()}
        street, street_typo = slip_last_word(
            self.person_column("street", person), rng, rate["street_typo"]
        )
        address2 = self.person_column("address2", person)
        reordered = chance(rng, rate["address_parts_reordered"] if reorder else 0.0, len(person))
        reordered &= ~_np(pc.is_null(address2))
        line = pc.if_else(
            pa.array(reordered),
            join_present([address2, street], ", "),
            join_present([street, address2], ", "),
        )
        city, city_typo = slip_last_word(self.person_column("city", person), rng, rate["city_typo"])
        postal_code, transposed = transpose_digits(
            self.person_column("postal_code", person), rng, rate["postal_code_transposed"]
        )
        slips = {
            "address_parts_reordered": reordered,
            "street_typo": street_typo,
            "city_typo": city_typo,
            "postal_code_transposed": transposed,
        }
        for kind, slipped in slips.items():
            self.noise[record_type, kind] = int((slipped & np.asarray(shown, dtype=bool)).sum())
        return Place(line, street, address2, postal_code, city)

    # --- timing: (created, changed) per record, for deltas and snapshots --------------
    def timing(self, file_type: str) -> tuple[np.ndarray, np.ndarray]:
        w = self.world
        frames = {
            "ticketing_matches": (w.ticketing.matches, None),
            "ticketing_orders": (w.ticketing.orders, "created"),
            "ticketing_tickets": (w.ticketing.tickets, "created"),
            "ticketing_access": (w.ticketing.scans, "scanned_at"),
            "shop_orders": (w.shop.orders, "created"),
            "shop_customers": (w.shop.customers, "created"),
            "email_contacts": (w.email.contacts, "created"),
            "email_campaigns": (w.email.campaigns, "sent_at"),
            "email_events": (w.email.events, "ts_event"),
            "email_survey_responses": (w.email.responses, "answered_at"),
        }
        frame, created_column = frames[file_type]
        n = len(frame)
        created = np.full(n, -NEVER) if created_column is None else frame[created_column].to_numpy()
        changed = frame["changed_at"].to_numpy() if "changed_at" in frame else np.full(n, NEVER)
        return created, changed

    def forget(self, file_type: str) -> None:
        """Drop a file type's cached spellings once all its files are written (memory)."""
        self.__dict__.pop(CACHED_VIEWS.get(file_type, ""), None)

    def render(
        self, file_type: str, rows: np.ndarray, cutoff: int, style: Style = PLAIN
    ) -> pa.Table:
        """Records `rows` of a file type as the tool exports them on the night ending at
        `cutoff` (state as of then), in the file's `style`."""
        return getattr(self, file_type)(np.asarray(rows, dtype=np.int64), cutoff, style)

    # --- ticketing ---------------------------------------------------------------------
    def ticketing_matches(self, rows, cutoff, style) -> pa.Table:
        m = self.world.ticketing.matches.iloc[rows]
        return assemble(
            "ticketing_matches",
            {
                "match_id": text(m["match_id"]),
                "match_date": (
                    fr_timestamp(m["kickoff"], with_seconds=False)
                    if style.kickoff_time
                    else fr_date(m["match_day"])
                ),
                "season": text(m["season"]),
                "competition": text(m["competition"]),
                "opponent": text(m["opponent"]),
                "home_away": text(m["home_away"]),
                "venue": text(m["venue"]),
                "capacity": grouped(m["capacity"], style.thousands_separator),
            },
        )

    @cached_property
    def _ticket_orders(self) -> dict:
        o = self.world.ticketing.orders
        rng = self._rng("ticketing_orders")
        n = len(o)
        buyer = o["buyer"].to_numpy()
        box = (o["channel"] == "box_office").to_numpy()  # old box-office system: partial data
        names = self.names(buyer, rng, "ticketing_order", o["created"].to_numpy(), box)
        birth_day, birth_blank = self.birth_dates(buyer, rng)
        has_address = chance(rng, np.where(box, 0.1, 0.7), n)
        country = self.persons["country"].to_numpy()[buyer]
        place = self.place(buyer, "ticketing_order", has_address, reorder=True)
        view = {
            "order_id": integer(o["order_id"]),
            "account_id": integer(o["account_id"]),
            "sales_channel": text(o["channel"]),
            "email": blank_where(
                self.emails(o["email"].to_numpy(dtype=object), rng, record_type="ticketing_order"),
                box & chance(rng, 0.7, n),
            ),
            "civility": flag(
                self.persons["gender"].to_numpy()[buyer] == "M",
                "M.",
                "Mme",
                blank=chance(rng, 0.1, n),
            ),
            "first_name": blank_where(names.first, box & chance(rng, 0.5, n)),
            "last_name": names.last,
            "birth_date": fr_date(birth_day, blank=~chance(rng, 0.5, n) | birth_blank),
            "phone": blank_where(
                self.phones(buyer, rng), ~chance(rng, np.where(box, 0.2, 0.75), n)
            ),
            "address": blank_where(place.line, ~has_address),
            "postal_code": blank_where(
                drop_leading_zero(place.postal_code, rng, 0.5 * self.m), ~has_address
            ),
            "city": blank_where(place.city, ~has_address),
            "country": blank_where(
                text(np.vectorize(vocab.COUNTRY_NAMES.get, otypes=[object])(country)), ~has_address
            ),
            "optin_club": flag(chance(rng, 0.6, n), "O", "N"),
            "optin_partners": flag(chance(rng, 0.2, n), "O", "N"),
            "currency": text(np.full(n, "EUR", dtype=object)),
            "_with_seconds": ~box,
        }
        first_shown = ~_np(pc.is_null(view["first_name"]))
        self.count_names("ticketing_order", names, first_shown, np.ones(n, bool))
        self.count_email_typos("ticketing_order", view["email"])
        return view

    def ticketing_orders(self, rows, cutoff, style) -> pa.Table:
        o = self.world.ticketing.orders
        view = self._ticket_orders
        changed = o["changed_at"].to_numpy()[rows] < cutoff
        created = o["created"].to_numpy()[rows]
        seconds = view["_with_seconds"][rows]
        columns = {k: v.take(rows) for k, v in view.items() if not k.startswith("_")}
        columns["created_at"] = self.ticketing_timestamp(created, style, seconds)
        columns["updated_at"] = self.ticketing_timestamp(
            np.where(changed, o["changed_at"].to_numpy()[rows], created), style, seconds
        )
        columns["status"] = text(
            np.where(changed, o["status"].to_numpy(dtype=object)[rows], "paid")
        )
        columns["total_amount"] = money(
            o["total"].to_numpy()[rows], ",", thousands=style.thousands_separator
        )
        return assemble("ticketing_orders", columns)

    @cached_property
    def _tickets(self) -> dict:
        t = self.world.ticketing.tickets
        rng = self._rng("ticketing_tickets")
        n = len(t)
        holder = np.maximum(t["holder"].to_numpy(), 0)
        named = t["named"].to_numpy() & (t["holder"].to_numpy() >= 0)
        orders = self.world.ticketing.orders
        box = (orders["channel"].to_numpy() == "box_office")[t["order"].to_numpy()]
        names = self.names(holder, rng, "ticket_holder", t["created"].to_numpy(), box)
        only_last = chance(rng, 0.1, n)
        self.count_names("ticket_holder", names, ~only_last, np.ones(n, bool), named)
        holder_email = self.emails(
            t["holder_email"].to_numpy(dtype=object), rng, record_type="ticket_holder"
        )
        self.count_email_typos("ticket_holder", holder_email)
        matches = self.world.ticketing.matches
        match = t["match"].to_numpy()
        match_id = np.where(
            match >= 0, matches["match_id"].to_numpy(dtype=object)[np.maximum(match, 0)], None
        )
        return {
            "ticket_id": integer(t["ticket_id"]),
            "order_id": integer(t["order_id"]),
            "match_id": text(match_id),
            "season": text(t["season"]),
            "product_type": text(t["product_type"]),
            "price_category": text(t["price_category"]),
            "section": text(t["section"]),
            "row": text(t["row"]),
            "seat": text(t["seat"]),
            "holder_first_name": blank_where(names.first, ~named | only_last),
            "holder_last_name": blank_where(names.last, ~named),
            "holder_email": holder_email,
        }

    def ticketing_tickets(self, rows, cutoff, style) -> pa.Table:
        t = self.world.ticketing.tickets
        columns = {k: v.take(rows) for k, v in self._tickets.items()}
        changed = t["changed_at"].to_numpy()[rows] < cutoff
        columns["status"] = text(
            np.where(changed, t["status"].to_numpy(dtype=object)[rows], "valid")
        )
        columns["price"] = money(
            t["price"].to_numpy()[rows], ",", thousands=style.thousands_separator
        )
        return assemble("ticketing_tickets", columns)

    def ticketing_access(self, rows, cutoff, style) -> pa.Table:
        s = self.world.ticketing.scans.iloc[rows]
        return assemble(
            "ticketing_access",
            {
                "scan_id": integer(s["scan_id"]),
                "ticket_id": integer(s["ticket_id"]),
                "match_id": text(s["match_id"]),
                "gate": text(s["gate"]),
                "scanned_at": self.ticketing_timestamp(s["scanned_at"], style),
                "result": text(s["result"]),
            },
        )

    # --- shop ----------------------------------------------------------------------------
    @cached_property
    def _shop_orders(self) -> dict:
        o = self.world.shop.orders
        rng = self._rng("shop_orders")
        n = len(o)
        person = o["person"].to_numpy()
        names = self.names(person, rng, "shop_order", o["created"].to_numpy())
        self.count_names("shop_order", names, np.ones(n, bool), np.ones(n, bool))
        first, last = names.first, names.last
        # Billing Name is one field: 'Sophie GALLAS', 'Sophie Gallas' or 'gallas sophie'.
        style = rng.choice(3, n, p=[0.6, 0.25, 0.15])
        billing_name = pc.choose(
            pa.array(style.astype(np.int8)),
            join(first, " ", pc.utf8_upper(last)),
            join(first, " ", last),
            pc.utf8_lower(join(last, " ", first)),
        )
        place = self.place(person, "shop_order", np.ones(n, bool))
        zip_code = place.postal_code
        zip_code = pc.if_else(
            pa.array(chance(rng, 0.05 * self.m, n)), join("'", zip_code), zip_code
        )
        phone = self.phones(person, rng)
        pos = (o["source"] == "pos").to_numpy()
        shipped = (o["shipping_method"] != "").to_numpy() & ~pos
        country = self.person_column("country", person)
        billing = {
            "Billing Name": billing_name,
            "Billing Street": place.line,
            "Billing Address1": place.street,
            "Billing Address2": place.address2,
            "Billing Company": text(np.full(n, None)),
            "Billing City": place.city,
            "Billing Zip": zip_code,
            "Billing Province": text(np.full(n, None)),
            "Billing Country": country,
            "Billing Phone": blank_where(phone, ~chance(rng, 0.6, n)),
        }
        shipping = {
            k.replace("Billing", "Shipping"): blank_where(v, ~shipped) for k, v in billing.items()
        }
        customer_accepts = self.world.shop.customers["accepts_email"].to_numpy()[
            o["customer"].to_numpy()
        ]
        view = (
            billing
            | shipping
            | {
                "Email": self.emails(
                    o["email"].to_numpy(dtype=object), rng, record_type="shop_order"
                ),
                "Accepts Marketing": flag(customer_accepts, "yes", "no"),
                "Currency": text(o["currency"]),
                "Subtotal": money(o["subtotal"]),
                "Shipping": money(o["shipping"]),
                "Taxes": money(o["taxes"]),
                "Total": money(o["total"]),
                "Discount Code": blank_where(
                    text(o["discount_code"]), (o["discount_code"] == "").to_numpy()
                ),
                "Discount Amount": money(o["discount"]),
                "Shipping Method": blank_where(text(o["shipping_method"]), ~shipped),
                "Created at": shopify_timestamp(o["created"]),
                "Notes": text(
                    np.where(chance(rng, 0.03, n), "Merci de livrer en point relais", None)
                ),
                "Note Attributes": text(np.full(n, None)),
                "Payment Method": text(o["payment_method"]),
                "Payment Reference": join("c", integer(o["shopify_id"] % 10**9), ".1"),
                "Employee": text(np.where(pos, "Boutique Stade", None)),
                "Location": text(np.where(pos, "Boutique du Stade", None)),
                "Device ID": text(np.full(n, None)),
                "Id": integer(o["shopify_id"]),
                "Tags": text(np.full(n, None)),
                "Risk Level": text(np.full(n, "Low", dtype=object)),
                "Source": text(o["source"]),
                "Phone": blank_where(phone, ~chance(rng, 0.4, n)),
                "Receipt Number": text(np.full(n, None)),
            }
        )
        self.count_email_typos("shop_order", view["Email"])
        return view

    def shop_order_state(self, rows: np.ndarray, cutoff: int) -> dict[str, np.ndarray]:
        """Payment state of orders as of `cutoff`."""
        o = self.world.shop.orders
        changed = o["changed_at"].to_numpy()[rows] < cutoff
        status = np.where(
            changed,
            o["financial_status"].to_numpy(dtype=object)[rows],
            o["initial_status"].to_numpy(dtype=object)[rows],
        )
        created = o["created"].to_numpy()[rows]
        paid_at = np.where(
            o["initial_status"].to_numpy()[rows] == "paid",
            created,
            np.where(changed & (status == "paid"), o["changed_at"].to_numpy()[rows], NEVER),
        )
        return {
            "status": status,
            "refunded": np.where(changed, o["refunded"].to_numpy()[rows], 0),
            "paid_at": paid_at,
            "cancelled_at": np.where(
                changed & (status == "voided"), o["changed_at"].to_numpy()[rows], NEVER
            ),
        }

    def shop_orders(self, rows, cutoff, style) -> pa.Table:
        """One row per line item; order-level fields on the first row of each order only."""
        shop = self.world.shop
        n_lines = np.bincount(shop.lines["order"].to_numpy(), minlength=len(shop.orders))
        first_line = np.r_[0, np.cumsum(n_lines)[:-1]]
        parent, position = expand(n_lines[rows])
        line = first_line[rows][parent] + position
        order_rows = rows[parent]
        later_row = position > 0

        state = self.shop_order_state(order_rows, cutoff)
        fulfilled_at = state["paid_at"] + 2 * 3600
        fulfilled = np.isin(state["status"], ["paid", "partially_refunded", "refunded"]) & (
            fulfilled_at < cutoff
        )
        total = shop.orders["total"].to_numpy()[order_rows]
        order_level = {k: v.take(order_rows) for k, v in self._shop_orders.items()}
        order_level |= {
            "Financial Status": text(state["status"]),
            "Paid at": shopify_timestamp(state["paid_at"], blank=state["paid_at"] == NEVER),
            "Fulfillment Status": flag(fulfilled, "fulfilled", "unfulfilled"),
            "Fulfilled at": shopify_timestamp(fulfilled_at, blank=~fulfilled),
            "Cancelled at": shopify_timestamp(
                state["cancelled_at"], blank=state["cancelled_at"] == NEVER
            ),
            "Refunded Amount": money(state["refunded"]),
            "Outstanding Balance": money(np.where(state["status"] == "pending", total, 0)),
        }
        columns = {k: blank_where(v, later_row) for k, v in order_level.items()}
        lines = shop.lines.iloc[line]
        compare_at = lines["compare_at"].to_numpy()
        is_gift_card = lines["sku"].str.startswith("CAR-CAD").to_numpy()
        columns |= {
            "Name": text(lines["name"]),
            "Lineitem quantity": integer(lines["quantity"]),
            "Lineitem name": text(lines["product_name"]),
            "Lineitem price": money(lines["price"]),
            "Lineitem compare at price": money(compare_at, blank=compare_at == 0),
            "Lineitem sku": text(lines["sku"]),
            "Lineitem requires shipping": flag(lines["requires_shipping"], "true", "false"),
            "Lineitem taxable": flag(~is_gift_card, "true", "false"),
            "Lineitem fulfillment status": flag(fulfilled, "fulfilled", "pending"),
            "Vendor": text(np.full(len(line), "Grandstand Store", dtype=object)),
            "Lineitem discount": money(np.zeros(len(line), dtype=np.int64)),
        }
        return assemble("shop_orders", columns)

    def staff_test_order(self, created: int, cutoff: int) -> tuple[pa.Table, str] | None:
        """An order a shop employee put through the till on a real customer to try it, then
        refunded with an amount typed ten times too large (Refunded Amount > Total). It is
        no sale of the world: a copy of the customer's latest paid order under a new name
        and id, created at `created`. None when there is no order to copy."""
        orders = self.world.shop.orders
        paid = np.flatnonzero(
            (orders["financial_status"] == "paid").to_numpy()
            & (orders["created"].to_numpy() < cutoff)
        )
        if len(paid) == 0:
            return None
        copied = self.shop_orders(paid[-1:], cutoff, PLAIN)
        name = f"#{1001 + len(orders)}"  # the next order number
        shopify_id = int(orders["shopify_id"].max()) + 1_000
        stamp = shopify_timestamp([created]).to_pylist()[0]
        lines = copied.to_pylist()
        for line in lines:
            line |= {"Name": name, "Lineitem fulfillment status": "pending"}
        lines[0] |= {
            "Id": str(shopify_id),
            "Created at": stamp,
            "Paid at": stamp,
            "Financial Status": "refunded",
            "Fulfillment Status": "unfulfilled",
            "Fulfilled at": None,
            "Refunded Amount": money([10 * int(orders["total"].iloc[paid[-1]])]).to_pylist()[0],
            "Outstanding Balance": "0.00",
            "Payment Reference": f"c{shopify_id % 10**9}.1",
            "Source": "pos",
            "Employee": "Boutique Stade",
            "Location": "Boutique du Stade",
            "Notes": "Test caisse",
            "Tags": "test",
        }
        return pa.Table.from_pylist(lines, schema=copied.schema), name

    @cached_property
    def _shop_customers(self) -> dict:
        c = self.world.shop.customers
        rng = self._rng("shop_customers")
        n = len(c)
        person = c["person"].to_numpy()
        names = self.names(person, rng, "shop_customer", c["created"].to_numpy())
        self.count_names("shop_customer", names, np.ones(n, bool), np.ones(n, bool))
        has_address = chance(rng, 0.8, n)
        e164 = join(
            "+", self.person_column("phone_cc", person), self.person_column("phone_digits", person)
        )
        return {
            "Customer ID": integer(c["customer_id"]),
            "First Name": names.first,
            "Last Name": names.last,
            "Email": self.emails(c["email"].to_numpy(dtype=object), rng, 0.02),
            "Accepts Email Marketing": flag(c["accepts_email"], "yes", "no"),
            "Default Address Company": text(np.full(n, None)),
            "Default Address Address1": blank_where(
                self.person_column("street", person), ~has_address
            ),
            "Default Address Address2": blank_where(
                self.person_column("address2", person), ~has_address
            ),
            "Default Address City": blank_where(self.person_column("city", person), ~has_address),
            "Default Address Province Code": text(np.full(n, None)),
            "Default Address Country Code": blank_where(
                self.person_column("country", person), ~has_address
            ),
            "Default Address Zip": blank_where(
                self.person_column("postal_code", person), ~has_address
            ),
            "Default Address Phone": blank_where(
                self.phones(person, rng), ~has_address | ~chance(rng, 0.5, n)
            ),
            "Phone": blank_where(e164, ~chance(rng, 0.5, n)),
            "Accepts SMS Marketing": flag(c["accepts_sms"], "yes", "no"),
            "Note": text(np.full(n, None)),
            "Tax Exempt": text(np.full(n, "no", dtype=object)),
            "Tags": text(np.full(n, None)),
        }

    def shop_customers(self, rows, cutoff, style) -> pa.Table:
        """Customer snapshot; Total Spent / Total Orders as of the night."""
        shop = self.world.shop
        o = shop.orders
        placed = np.flatnonzero(o["created"].to_numpy() < cutoff)
        state = self.shop_order_state(placed, cutoff)
        counts = ~np.isin(state["status"], ["pending", "voided"])
        rate = o["currency"].map(self.world.fx).to_numpy()[placed]
        net_eur = (o["total"].to_numpy()[placed] - state["refunded"]) * rate * counts
        customer = o["customer"].to_numpy()[placed]
        spent = cents(np.bincount(customer, weights=net_eur, minlength=len(shop.customers)) / 100)
        n_orders = np.bincount(customer, minlength=len(shop.customers))
        columns = {k: v.take(rows) for k, v in self._shop_customers.items()}
        columns["Total Spent"] = money(spent[rows])
        columns["Total Orders"] = integer(n_orders[rows])
        return assemble("shop_customers", columns)

    # --- email ---------------------------------------------------------------------------
    @cached_property
    def _contacts(self) -> dict:
        c = self.world.email.contacts
        rng = self._rng("email_contacts")
        n = len(c)
        person = c["person"].to_numpy()
        names = self.names(person, rng, "email_contact", c["created"].to_numpy())
        birth_day, birth_blank = self.birth_dates(person, rng)
        birth_blank |= ~c["show_birth"].to_numpy()
        hidden = ~c["show_name"].to_numpy()
        self.count_names("email_contact", names, ~hidden, ~hidden)
        sms_form = np.where(chance(rng, 0.5 * self.m, n), rng.integers(0, 15, n), 2)
        sms = phone_forms(
            self.person_column("phone_cc", person),
            self.person_column("phone_digits", person),
            sms_form,
        )
        sms_missing = chance(rng, MISSING_PHONE_RATE * self.m, n)
        list_names = np.array(vocab.MAIL_LISTS, dtype=object)
        member = np.stack(c["lists"].to_numpy()) if n else np.zeros((0, len(list_names)), bool)
        lists = join_present(
            [text(np.where(member[:, i], name, None)) for i, name in enumerate(list_names)], "|"
        )
        return {
            "CONTACT_ID": integer(c["contact_id"]),
            "EMAIL": self.emails(c["email"].to_numpy(dtype=object), rng, 0.02),
            "FIRSTNAME": blank_where(names.first, hidden),
            "LASTNAME": blank_where(names.last, hidden),
            "SMS": blank_where(sms, ~chance(rng, 0.6, n) | sms_missing),
            "DATE_OF_BIRTH": iso_date(birth_day, blank=birth_blank),
            "POSTCODE": blank_where(
                self.person_column("postal_code", person), ~c["show_postcode"].to_numpy()
            ),
            "SMS_BLACKLISTED": flag(c["sms_blacklisted"], "Yes", "No"),
            "CREATED_AT": utc_iso(c["created"]),
            "LISTS": lists,
            "_birth_day": birth_day,
            "_birth_blank": birth_blank,
        }

    def contact_birth_dates(self) -> tuple[np.ndarray, np.ndarray]:
        """Each contact's DATE_OF_BIRTH as the tool writes it (epoch day) and where blank."""
        return self._contacts["_birth_day"], self._contacts["_birth_blank"]

    def email_contacts(self, rows, cutoff, style) -> pa.Table:
        c = self.world.email.contacts
        columns = {k: v.take(rows) for k, v in self._contacts.items() if not k.startswith("_")}
        blacklisted_at = c["blacklisted_at"].to_numpy()[rows]
        update = c["profile_update"].to_numpy()[rows]
        modified = np.maximum(c["created"].to_numpy()[rows], np.where(update < cutoff, update, 0))
        modified = np.maximum(modified, np.where(blacklisted_at < cutoff, blacklisted_at, 0))
        columns["EMAIL_BLACKLISTED"] = flag(blacklisted_at < cutoff, "Yes", "No")
        columns["MODIFIED_AT"] = utc_iso(modified)
        return assemble("email_contacts", columns)

    def email_campaigns(self, rows, cutoff, style) -> pa.Table:
        c = self.world.email.campaigns.iloc[rows]
        return assemble(
            "email_campaigns",
            {
                "campaign_id": integer(c["campaign_id"]),
                "name": text(c["name"]),
                "subject": text(c["subject"]),
                "type": text(c["type"]),
                "sent_at": utc_iso(c["sent_at"]),
                "list": text(c["list"]),
            },
        )

    def email_events(self, rows, cutoff, style) -> pa.Table:
        email = self.world.email
        e = email.events.iloc[rows]
        campaign = e["campaign"].to_numpy()
        campaign_id = email.campaigns["campaign_id"].to_numpy()[campaign]
        page = email.campaigns["type"].map(LANDING_PAGES).to_numpy(dtype=object)[campaign]
        is_click = (e["event"] == "click").to_numpy()
        url = join(
            SITE + "/", text(page), "?utm_source=newsletter&utm_campaign=", integer(campaign_id)
        )
        return assemble(
            "email_events",
            {
                "id": integer(e["event_id"]),
                "camp_id": integer(campaign_id),
                "campaign name": text(email.campaigns["name"].to_numpy(dtype=object)[campaign]),
                "email": text(
                    email.contacts["email"].to_numpy(dtype=object)[e["contact"].to_numpy()]
                ),
                "event": text(e["event"].astype(str)),
                "date_sent": paris_iso(e["ts_sent"]),
                "date_event": paris_iso(e["ts_event"]),
                "ts_sent": integer(e["ts_sent"]),
                "ts_event": integer(e["ts_event"]),
                "URL": blank_where(url, ~is_click),
                "tag": text(np.full(len(rows), "", dtype=object)),
            },
        )

    @cached_property
    def _responses(self) -> dict:
        r = self.world.email.responses
        rng = self._rng("email_survey_responses")
        contacts = self.world.email.contacts
        return {
            "response_id": integer(r["response_id"]),
            "campaign_id": integer(
                self.world.email.campaigns["campaign_id"].to_numpy()[r["campaign"].to_numpy()]
            ),
            "email": self.emails(
                contacts["email"].to_numpy(dtype=object)[r["contact"].to_numpy()], rng, 0.15
            ),
            "survey": text(r["survey"]),
            "touchpoint": text(r["touchpoint"]),
            "score": integer(r["score"]),
            "comment": text(r["comment"]),
            "answered_at": utc_iso(r["answered_at"]),
        }

    def email_survey_responses(self, rows, cutoff, style) -> pa.Table:
        return assemble(
            "email_survey_responses", {k: v.take(rows) for k, v in self._responses.items()}
        )
