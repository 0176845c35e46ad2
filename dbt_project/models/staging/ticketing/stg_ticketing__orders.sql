{{ config(
    materialized='incremental', incremental_strategy='delete+insert', unique_key='order_id',
    pre_hook="{{ forget_replaced_loads(source('ticketing', 'orders')) }}"
) }}
-- incremental: a night rebuilds only the keys its loads touched (macros/incremental_staging.sql)
with source as (
    select * from {{ source('ticketing', 'orders') }}
    {{ only_keys_to_rebuild(source('ticketing', 'orders'), empty_as_null('order_id'), 'order_id') }}
),

renamed as (
    select
        {{ empty_as_null('order_id') }} as order_id,
        {{ empty_as_null('account_id') }} as account_id,
        {{ parse_timestamp_to_utc('created_at') }} as created_at,
        {{ parse_timestamp_to_utc('updated_at') }} as updated_at,
        lower({{ empty_as_null('status') }}) as status,
        lower({{ empty_as_null('sales_channel') }}) as sales_channel,
        {{ empty_as_null('email') }} as email,
        {{ empty_as_null('civility') }} as civility,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ parse_date('birth_date') }} as birth_date,
        {{ empty_as_null('phone') }} as phone,
        {{ clean_text('address') }} as address,
        {{ empty_as_null('postal_code') }} as postal_code,
        {{ clean_text('city') }} as city,
        {{ empty_as_null('country') }} as country,
        {{ parse_boolean('optin_club') }} as is_opted_in_club,
        {{ parse_boolean('optin_partners') }} as is_opted_in_partners,
        {{ parse_decimal('total_amount') }} as total_amount,
        coalesce(upper({{ empty_as_null('currency') }}), 'EUR') as currency,
        _export_date,
        _source_file,
        _source_line,
        _loaded_at
    from source
),

-- delta: an order comes again when it changes; the newest updated_at wins (a paid order
-- later refunded ends refunded, even when the refund arrives in a late file), and the
-- newest export only breaks ties
deduped as (
    {{ dedupe('renamed', 'order_id', 'updated_at desc nulls last, _export_date desc, _source_file desc, _source_line desc') }}
)

select
    order_id,
    account_id,
    created_at,
    updated_at,
    status,
    sales_channel,
    email,
    civility,
    first_name,
    last_name,
    birth_date,
    phone,
    address,
    postal_code,
    city,
    country,
    is_opted_in_club,
    is_opted_in_partners,
    total_amount,
    currency,
    _export_date,
    _source_file,
    _source_line,
    _loaded_at
from deduped
where order_id is not null
