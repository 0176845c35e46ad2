-- Ticketing orders with their fan and their value in the reporting currency. An order
-- counts as revenue only while its latest status is paid (refunds and cancellations
-- bring it to 0).
with orders as (
    select * from {{ ref('stg_ticketing__orders') }}
),

fans as (
    select
        record_id,
        fan_id
    from {{ ref('int_identity_records_clustered') }}
    where record_type = 'ticketing_order'
),

fx as (
    select * from {{ ref('fx_rates') }}
)

select
    orders.order_id,
    orders.account_id,
    fans.fan_id,
    orders.created_at,
    orders.updated_at,
    {{ utc_to_local_date('orders.created_at') }} as order_date,
    orders.status,
    orders.sales_channel,
    orders.total_amount,
    orders.currency,
    fx.eur_per_unit as fx_rate,
    -- a cancelled order was never paid: no revenue, no refund
    case
        when orders.status in ('paid', 'refunded') then {{ money('orders.total_amount * fx.eur_per_unit') }}
        else {{ money('0') }}
    end as gross_amount_eur,
    case
        when orders.status = 'refunded' then {{ money('orders.total_amount * fx.eur_per_unit') }}
        else {{ money('0') }}
    end as refunded_amount_eur,
    case
        when orders.status = 'paid' then {{ money('orders.total_amount * fx.eur_per_unit') }}
        else {{ money('0') }}
    end as net_amount_eur
from orders
left join fans on orders.order_id = fans.record_id
left join fx on orders.currency = fx.currency
