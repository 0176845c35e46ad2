select
    order_id,
    account_id,
    fan_id,
    created_at,
    updated_at,
    order_date,
    status,
    sales_channel,
    total_amount,
    currency,
    gross_amount_eur,
    refunded_amount_eur,
    net_amount_eur
from {{ ref('int_ticket_orders_valued') }}
