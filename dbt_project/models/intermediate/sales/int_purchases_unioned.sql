-- Every purchase across channels in one shape, up to the as-of date: the base of RFM,
-- sales and every other purchase figure, so the cut at the as-of date is made here, once.
-- A purchase counts (is_counted) when it brings revenue: a ticketing order whose latest
-- status is paid, a shop order with a positive net amount.
{%- set channels = [
    ('ticketing', 'int_ticket_orders_valued', "orders.status = 'paid'"),
    ('shop', 'int_shop_orders_valued', 'orders.net_amount_eur > 0'),
] %}
with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
)

{% for channel, orders_model, counted in channels %}
    select
        '{{ channel }}' as channel,
        orders.order_id as purchase_id,
        orders.fan_id,
        orders.created_at as purchased_at,
        orders.order_date as purchase_date,
        orders.gross_amount_eur,
        orders.refunded_amount_eur,
        orders.net_amount_eur,
        {{ counted }} as is_counted
    from {{ ref(orders_model) }} as orders
    cross join as_of
    where orders.order_date <= as_of.as_of_date
    {% if not loop.last %}union all{% endif %}
{% endfor %}
