with lines as (
    select * from {{ ref('stg_shop__order_lines') }}
),

orders as (
    select
        order_name,
        fan_id
    from {{ ref('int_shop_orders_valued') }}
)

select
    lines.order_line_id,
    lines.order_id,
    lines.order_name,
    orders.fan_id,
    lines.line_number,
    lines.sku,
    lines.product_name,
    lines.vendor,
    lines.quantity,
    lines.unit_price,
    lines.line_discount,
    {{ money('lines.quantity * lines.unit_price - lines.line_discount') }} as line_amount,
    lines.currency,
    lines.financial_status,
    lines.created_at,
    {{ utc_to_local_date('lines.created_at') }} as order_date
from lines
-- lines of orders set aside as anomalies in staging are excluded with their order
inner join orders on lines.order_name = orders.order_name
