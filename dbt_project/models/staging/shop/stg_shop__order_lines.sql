{{ config(
    materialized='incremental', incremental_strategy='delete+insert', unique_key='order_name',
    pre_hook="{{ forget_replaced_loads(source('shop', 'orders')) }}"
) }}
{#- Shopify writes one row per line item and fills the order-level fields on the first row
    of each order only. Each line gets its order's fields; an order exported again (e.g.
    refunded in a later delta) comes whole, and the newest export of the order wins. -#}
-- incremental: a night rebuilds only the orders its loads touched, each whole
-- (macros/incremental_staging.sql)
with source as (
    select * from {{ source('shop', 'orders') }}
    {{ only_keys_to_rebuild(source('shop', 'orders'), 'name', 'order_name') }}
),

numbered as (
    select
        source.*,
        row_number() over (partition by source._source_file, source.name order by source._source_line) as line_number
    from source
    where {{ empty_as_null('name') }} is not null
),

order_fields as (
    select
        _source_file,
        name as order_name,
        _export_date,
        {{ empty_as_null('id') }} as order_id,
        {{ empty_as_null('email') }} as email,
        lower({{ empty_as_null('financial_status') }}) as financial_status,
        lower({{ empty_as_null('fulfillment_status') }}) as fulfillment_status,
        {{ parse_boolean('accepts_marketing') }} as accepts_marketing,
        upper({{ empty_as_null('currency') }}) as currency,
        {{ parse_decimal('subtotal') }} as subtotal,
        {{ parse_decimal('shipping') }} as shipping,
        {{ parse_decimal('taxes') }} as taxes,
        {{ parse_decimal('total') }} as total,
        {{ empty_as_null('discount_code') }} as discount_code,
        coalesce({{ parse_decimal('discount_amount') }}, 0) as discount_amount,
        coalesce({{ parse_decimal('refunded_amount') }}, 0) as refunded_amount,
        {{ parse_decimal('outstanding_balance') }} as outstanding_balance,
        {{ parse_timestamp_to_utc('created_at', 'UTC') }} as created_at,
        {{ parse_timestamp_to_utc('paid_at', 'UTC') }} as paid_at,
        {{ parse_timestamp_to_utc('fulfilled_at', 'UTC') }} as fulfilled_at,
        {{ parse_timestamp_to_utc('cancelled_at', 'UTC') }} as cancelled_at,
        {{ clean_text('billing_name') }} as billing_name,
        {{ empty_as_null('billing_address1') }} as billing_address1,
        {{ empty_as_null('billing_city') }} as billing_city,
        -- Excel protects leading zeros with an apostrophe ('75008)
        replace({{ empty_as_null('billing_zip') }}, '''', '') as billing_zip,
        upper({{ empty_as_null('billing_country') }}) as billing_country,
        {{ empty_as_null('billing_phone') }} as billing_phone,
        {{ empty_as_null('phone') }} as phone,
        {{ empty_as_null('payment_method') }} as payment_method,
        {{ empty_as_null('source') }} as source_name,
        {{ empty_as_null('tags') }} as tags
    from numbered
    where line_number = 1
),

latest_export as (
    {{ dedupe('order_fields', 'order_name', '_export_date desc, _source_file desc') }}
)

select
    {{ dbt.concat(['latest_export.order_name', "'-'", 'cast(numbered.line_number as ' ~ dbt.type_string() ~ ')']) }} as order_line_id,
    latest_export.order_id,
    latest_export.order_name,
    numbered.line_number,
    {{ parse_integer('numbered.lineitem_quantity') }} as quantity,
    {{ empty_as_null('numbered.lineitem_name') }} as product_name,
    {{ empty_as_null('numbered.lineitem_sku') }} as sku,
    {{ parse_decimal('numbered.lineitem_price') }} as unit_price,
    {{ parse_decimal('numbered.lineitem_compare_at_price') }} as compare_at_price,
    coalesce({{ parse_decimal('numbered.lineitem_discount') }}, 0) as line_discount,
    {{ parse_boolean('numbered.lineitem_requires_shipping') }} as requires_shipping,
    {{ empty_as_null('numbered.vendor') }} as vendor,
    latest_export.email,
    latest_export.financial_status,
    latest_export.fulfillment_status,
    latest_export.accepts_marketing,
    latest_export.currency,
    latest_export.subtotal,
    latest_export.shipping,
    latest_export.taxes,
    latest_export.total,
    latest_export.discount_code,
    latest_export.discount_amount,
    latest_export.refunded_amount,
    latest_export.outstanding_balance,
    latest_export.created_at,
    latest_export.paid_at,
    latest_export.fulfilled_at,
    latest_export.cancelled_at,
    latest_export.billing_name,
    latest_export.billing_address1,
    latest_export.billing_city,
    latest_export.billing_zip,
    latest_export.billing_country,
    latest_export.billing_phone,
    latest_export.phone,
    latest_export.payment_method,
    latest_export.source_name,
    latest_export.tags,
    latest_export._export_date,
    latest_export._source_file,
    numbered._source_line,
    numbered._loaded_at
from latest_export
inner join numbered
    on
        latest_export._source_file = numbered._source_file
        and latest_export.order_name = numbered.name
