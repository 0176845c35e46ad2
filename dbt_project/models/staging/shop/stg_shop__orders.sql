-- One row per Shopify order: the order-level fields, which stg_shop__order_lines already
-- carried from the order's first export row. An order whose figures cannot be true is kept
-- but set aside (anomaly_reason): it carries no revenue, and the night goes on.
select
    order_id,
    order_name,
    email,
    financial_status,
    fulfillment_status,
    accepts_marketing,
    currency,
    subtotal,
    shipping,
    taxes,
    total,
    discount_code,
    discount_amount,
    refunded_amount,
    outstanding_balance,
    created_at,
    paid_at,
    fulfilled_at,
    cancelled_at,
    billing_name,
    billing_address1,
    billing_city,
    billing_zip,
    billing_country,
    billing_phone,
    phone,
    payment_method,
    source_name,
    tags,
    _export_date,
    _source_file,
    _source_line,
    case
        when refunded_amount > total then 'refund above the order total'
    end as anomaly_reason
from {{ ref('stg_shop__order_lines') }}
where line_number = 1
