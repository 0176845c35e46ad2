-- Every purchase across channels in one shape, up to the as-of date: the base of RFM,
-- sales and every other purchase figure, so the cut at the as-of date is made here, once.
-- A purchase counts (is_counted) when it brings revenue: a ticketing order whose latest
-- status is paid, a shop order with a positive net amount.
with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
)

select
    'ticketing' as channel,
    orders.order_id as purchase_id,
    orders.fan_id,
    orders.created_at as purchased_at,
    orders.order_date as purchase_date,
    orders.gross_amount_eur,
    orders.refunded_amount_eur,
    orders.net_amount_eur,
    orders.status = 'paid' as is_counted
from {{ ref('int_ticket_orders_valued') }} as orders
cross join as_of
where orders.order_date <= as_of.as_of_date

union all

select
    'shop' as channel,
    orders.order_id as purchase_id,
    orders.fan_id,
    orders.created_at as purchased_at,
    orders.order_date as purchase_date,
    orders.gross_amount_eur,
    orders.refunded_amount_eur,
    orders.net_amount_eur,
    orders.net_amount_eur > 0 as is_counted
from {{ ref('int_shop_orders_valued') }} as orders
cross join as_of
where orders.order_date <= as_of.as_of_date
