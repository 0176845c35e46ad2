"""The online shop's clean world (Shopify): customers, orders and their line items.

Totals follow Shopify in France: prices include VAT, Total = Subtotal + Shipping -
Discount Amount, Taxes = the VAT inside Total. An order's payment state changes at most
once (pending -> paid/voided, or paid -> refunded/partially_refunded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from . import vocab
from .common import cents, chance, expand, increasing_ids, pick, stream
from .people import People, other_email
from .ticketing import NEVER
from .timeline import DAY, HOUR, Timeline, epoch_day, paris_to_utc, season_label


@dataclass
class Shop:
    customers: pd.DataFrame
    orders: pd.DataFrame
    lines: pd.DataFrame
    products: pd.DataFrame


def catalogue(timeline: Timeline) -> pd.DataFrame:
    prev, cur = timeline.season_years
    names = {
        "cur": season_label(cur),
        "prev": season_label(prev),
        "c": f"{cur % 100:02d}{(cur + 1) % 100:02d}",
        "p": f"{prev % 100:02d}{cur % 100:02d}",
    }
    new_season = int(paris_to_utc(np.array([epoch_day(date(cur, 7, 1)) * DAY]))[0])
    rows = [
        (
            sku.format(**names),
            name.format(**names),
            cents(price),
            ships,
            weight,
            new_season if since == "cur" else 0,
            "{p}" in sku,
        )
        for sku, name, price, ships, weight, since in vocab.PRODUCTS
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "sku",
            "name",
            "price",
            "requires_shipping",
            "weight",
            "on_sale_from",
            "last_season_jersey",
        ],
    )


def _order_instants(rng, timeline: Timeline, size: int) -> np.ndarray:
    """Shopping peaks: new jerseys in July-August, Black Friday, Christmas."""
    first, last = timeline.start // DAY + 1, (timeline.end - 1) // DAY
    days = np.arange(first, last)
    md = pd.to_datetime(days, unit="D")
    weight = np.ones(len(days))
    weight[(md.month == 12) & (md.day <= 24)] = 3.0
    weight[(md.month == 7) | (md.month == 8)] = 2.5
    weight[(md.month == 11) & (md.day >= 24)] = 3.0
    day = days[rng.choice(len(days), size=size, p=weight / weight.sum())]
    local = day * DAY + rng.integers(7 * HOUR, 24 * HOUR, size)
    return np.minimum(paris_to_utc(local), timeline.end - 1)


def build_shop(people: People, timeline: Timeline, seed: int, fx: dict[str, float]) -> Shop:
    rng = stream(seed, "shop")
    p = people.persons
    shoppers = np.flatnonzero(p["in_shop"].to_numpy())

    # Customers: one per shopper, a few with a second account under another address.
    second = shoppers[chance(rng, 0.06, len(shoppers))]
    person = np.r_[shoppers, second]
    email = np.r_[p["email_primary"].to_numpy(dtype=object)[shoppers], other_email(p, rng, second)]
    second = np.r_[np.zeros(len(shoppers), bool), np.ones(len(second), bool)]
    dup = pd.Series(email).duplicated().to_numpy()  # Shopify keeps one customer per address
    person, email, second = person[~dup], email[~dup], second[~dup]
    n_orders = np.where(
        second, 1 + rng.poisson(0.5, len(person)), 1 + rng.poisson(rng.gamma(1.0, 1.2, len(person)))
    )
    n_orders = np.where(chance(rng, 0.08, len(person)) & ~second, 0, n_orders)

    customer, _ = expand(n_orders)
    n = len(customer)
    created = _order_instants(rng, timeline, n)
    order = pd.DataFrame({"customer": customer, "created": created})
    order = order.sort_values(["created", "customer"], kind="stable", ignore_index=True)
    customer, created = order["customer"].to_numpy(), order["created"].to_numpy()
    first_order = np.full(len(person), NEVER)
    np.minimum.at(first_order, customer, created)
    signup = np.where(
        first_order < NEVER,
        first_order - rng.integers(60, 1800, len(person)),
        rng.integers(timeline.start, timeline.end, len(person)),
    )
    customer_ids = increasing_ids(rng, len(person), 6_900_000_000_000, 50_000)
    order_of_signup = np.argsort(signup, kind="stable")
    customers = pd.DataFrame(
        {
            "customer_id": customer_ids[np.argsort(order_of_signup)],
            "person": person,
            "email": email,
            "created": signup,
            "accepts_email": chance(rng, 0.55, len(person)),
            "accepts_sms": chance(rng, 0.2, len(person)),
        }
    )

    buyer = person[customer]
    country = p["country"].to_numpy()[buyer]
    # Fans abroad mostly pay in their currency; the storefront also shows GBP/CHF to a few
    # visitors browsing from abroad. At least one order of each, whatever the world's size.
    currency = np.where(chance(rng, 0.01, n), pick(rng, {"GBP": 1, "CHF": 1}, n), "EUR")
    currency = np.where((country == "GB") & chance(rng, 0.9, n), "GBP", currency)
    currency = np.where((country == "CH") & chance(rng, 0.9, n), "CHF", currency)
    for code in ("GBP", "CHF"):
        if n >= 2 and not (currency == code).any():
            currency[rng.integers(n)] = code
    lines = _lines(rng, catalogue(timeline), created, currency, fx)
    orders = pd.DataFrame(
        {
            "order_index": np.arange(n),
            "customer": customer,
            "person": buyer,
            "customer_id": customers["customer_id"].to_numpy()[customer],
            "email": email[customer],
            "created": created,
            "currency": currency,
            "name": "#" + pd.Series(1001 + np.arange(n)).astype(str).to_numpy(dtype=object),
            "shopify_id": increasing_ids(rng, n, 5_600_000_000_000, 90_000),
            "source": pick(rng, {"web": 85, "pos": 15}, n),
        }
    )
    _totals(rng, orders, lines, fx)
    _payment(rng, orders, lines, timeline)
    lines["order_id"] = orders["shopify_id"].to_numpy()[lines["order"].to_numpy()]
    lines["name"] = orders["name"].to_numpy()[lines["order"].to_numpy()]
    return Shop(customers, orders, lines, catalogue(timeline))


def _lines(rng, products: pd.DataFrame, created, currency, fx) -> pd.DataFrame:
    """1-4 distinct products per order (weighted sampling without replacement)."""
    n = len(created)
    available = created[:, None] >= products["on_sale_from"].to_numpy()[None, :]
    keys = rng.random((n, len(products))) ** (1 / products["weight"].to_numpy())
    keys = np.where(available, keys, -1.0)
    ranked = np.argsort(-keys, axis=1, kind="stable")
    n_lines = pick(rng, {1: 55, 2: 25, 3: 12, 4: 8}, n).astype(np.int64)
    order, position = expand(n_lines)
    product = ranked[order, position]
    eur = products["price"].to_numpy()[product]
    compare_at = np.zeros(len(order), dtype=np.int64)
    if products["on_sale_from"].max() > 0:
        new_season = products["on_sale_from"].max()
        on_clearance = products["last_season_jersey"].to_numpy()[product] & (
            created[order] >= new_season
        )
        compare_at = np.where(on_clearance, eur, 0)
        eur = np.where(on_clearance, cents(vocab.CLEARANCE_PRICE), eur)
    rate = pd.Series(currency[order]).map(fx).to_numpy()
    return pd.DataFrame(
        {
            "order": order,
            "position": position,
            "sku": products["sku"].to_numpy()[product],
            "product_name": products["name"].to_numpy()[product],
            "quantity": pick(rng, {1: 85, 2: 12, 3: 3}, len(order)).astype(np.int64),
            "price": np.round(eur / rate).astype(np.int64),
            "compare_at": np.round(compare_at / rate).astype(np.int64),
            "requires_shipping": products["requires_shipping"].to_numpy()[product],
        }
    )


def _totals(rng, orders: pd.DataFrame, lines: pd.DataFrame, fx) -> None:
    n = len(orders)
    line_total = lines["quantity"].to_numpy() * lines["price"].to_numpy()
    subtotal = np.bincount(lines["order"], weights=line_total, minlength=n).astype(np.int64)
    ships = np.bincount(lines["order"], weights=lines["requires_shipping"], minlength=n) > 0
    rate = orders["currency"].map(fx).to_numpy()
    month = pd.to_datetime(orders["created"].to_numpy(), unit="s").month.to_numpy()
    code = np.where(month == 12, "NOEL15", pick(rng, {"ABONNE10": 2, "BIENVENUE5": 1}, n))
    code = np.where(chance(rng, 0.12, n), code, "")
    pct = pd.Series(code).map(vocab.DISCOUNT_CODES).fillna(0.0).to_numpy()
    discount = np.round(subtotal * pct).astype(np.int64)

    pos = orders["source"].to_numpy() == "pos"
    domestic = orders["currency"].to_numpy() == "EUR"
    method = pick(rng, {k: w for k, (_, w) in vocab.SHIPPING.items()}, n)
    fee = pd.Series(method).map({k: cents(v) for k, (v, _) in vocab.SHIPPING.items()}).to_numpy()
    fee = np.where(subtotal * rate >= cents(vocab.FREE_SHIPPING_FROM), 0, fee)
    method = np.where(domestic, method, vocab.INTERNATIONAL_SHIPPING[0])
    fee = np.where(domestic, fee, cents(vocab.INTERNATIONAL_SHIPPING[1]))
    method = np.where(pos | ~ships, "", method)
    fee = np.where(pos | ~ships, 0, fee).astype(np.int64)
    total = subtotal + fee - discount
    orders["subtotal"], orders["shipping"], orders["shipping_method"] = subtotal, fee, method
    orders["discount_code"], orders["discount"], orders["total"] = code, discount, total
    orders["taxes"] = np.round(total * 20 / 120).astype(np.int64)  # VAT included in prices


def _payment(rng, orders: pd.DataFrame, lines: pd.DataFrame, timeline: Timeline) -> None:
    n = len(orders)
    created = orders["created"].to_numpy()
    total = orders["total"].to_numpy()
    pending = chance(rng, 0.06, n) & (orders["source"].to_numpy() == "web")
    outcome = np.where(
        pending,
        pick(rng, {"paid": 75, "voided": 25}, n),
        pick(rng, {"paid": 94, "refunded": 3, "partially_refunded": 3}, n),
    )
    change = np.where(pending, created + rng.integers(DAY, 6 * DAY, n), NEVER)
    change = np.where(
        ~pending & (outcome != "paid"), created + rng.integers(3 * DAY, 40 * DAY, n), change
    )
    # Some orders paid before the first export night are refunded during a later one.
    if timeline.nights >= 2:
        early = np.flatnonzero(~pending & (outcome == "paid") & (created < timeline.cutoffs[0]))
        late = early[-max(1, n // 2000) :]
        outcome[late] = np.where(np.arange(len(late)) % 2 == 0, "refunded", "partially_refunded")
        change[late] = rng.integers(timeline.cutoffs[0], timeline.end, len(late))
    happened = change < timeline.end
    final = np.where(happened, outcome, np.where(pending, "pending", "paid"))
    change = np.where(happened & (outcome != np.where(pending, "pending", "paid")), change, NEVER)

    # A partial refund gives back one item (or part of the order when there is one item).
    last_line = (
        lines.groupby("order")["position"].transform("max").to_numpy()
        == lines["position"].to_numpy()
    )
    last_item = np.zeros(n, dtype=np.int64)
    last_item[lines["order"].to_numpy()[last_line]] = lines["price"].to_numpy()[last_line]
    part = np.where(last_item < total, last_item, np.round(total * rng.uniform(0.2, 0.5, n)))
    refunded = np.select([final == "refunded", final == "partially_refunded"], [total, part], 0)
    orders["initial_status"] = np.where(pending, "pending", "paid")
    orders["financial_status"] = final
    orders["changed_at"] = change
    orders["refunded"] = refunded.astype(np.int64)
    orders["paid_at"] = np.where(pending, np.where(final == "paid", change, NEVER), created)
    orders["payment_method"] = np.where(
        pending,
        "Virement bancaire",
        pick(rng, {"Shopify Payments": 75, "PayPal Express Checkout": 25}, n),
    )
