-- Shopify orders with their fan and net value: Total − Refunded Amount in the order's
-- currency (0 while voided or pending), converted to the reporting currency. Orders set
-- aside as anomalies in staging (stg_shop__orders.anomaly_reason) are excluded.
with orders as (
    select * from {{ ref('stg_shop__orders') }}
    where anomaly_reason is null
),

fans as (
    select
        record_id,
        fan_id
    from {{ ref('int_identity_records_clustered') }}
    where record_type = 'shop_order'
),

fx as (
    select * from {{ ref('fx_rates') }}
),

netted as (
    select
        orders.*,
        case
            when orders.financial_status in ('voided', 'pending') then 0
            else {{ money('orders.total - orders.refunded_amount') }}
        end as net_amount
    from orders
)

select
    netted.order_id,
    netted.order_name,
    fans.fan_id,
    netted.created_at,
    {{ utc_to_local_date('netted.created_at') }} as order_date,
    netted.financial_status,
    netted.currency,
    netted.subtotal,
    netted.shipping,
    netted.taxes,
    netted.discount_amount,
    netted.total,
    netted.refunded_amount,
    netted.net_amount,
    fx.eur_per_unit as fx_rate,
    case
        when netted.financial_status in ('voided', 'pending') then 0
        else {{ money('netted.total * fx.eur_per_unit') }}
    end as gross_amount_eur,
    -- derived so that gross − refunds = net holds to the cent after conversion
    case
        when netted.financial_status in ('voided', 'pending') then 0
        else {{ money(money('netted.total * fx.eur_per_unit') ~ ' - ' ~ money('netted.net_amount * fx.eur_per_unit')) }}
    end as refunded_amount_eur,
    {{ money('netted.net_amount * fx.eur_per_unit') }} as net_amount_eur
from netted
left join fans on netted.order_id = fans.record_id
left join fx on netted.currency = fx.currency
