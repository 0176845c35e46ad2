-- Every purchase across channels in one shape: the base of RFM and sales KPIs.
-- A purchase counts (is_counted) when it brings revenue: a ticketing order whose latest
-- status is paid, a shop order with a positive net amount.
select
    'ticketing' as channel,
    order_id as purchase_id,
    fan_id,
    created_at as purchased_at,
    order_date as purchase_date,
    gross_amount_eur,
    refunded_amount_eur,
    net_amount_eur,
    status = 'paid' as is_counted
from {{ ref('int_ticket_orders_valued') }}

union all

select
    'shop' as channel,
    order_id as purchase_id,
    fan_id,
    created_at as purchased_at,
    order_date as purchase_date,
    gross_amount_eur,
    refunded_amount_eur,
    net_amount_eur,
    net_amount_eur > 0 as is_counted
from {{ ref('int_shop_orders_valued') }}
