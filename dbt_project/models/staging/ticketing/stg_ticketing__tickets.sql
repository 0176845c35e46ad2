{{ config(
    materialized='incremental', incremental_strategy='delete+insert', unique_key='ticket_id',
    pre_hook="{{ forget_replaced_loads(source('ticketing', 'tickets')) }}"
) }}
-- incremental: a night rebuilds only the keys its loads touched (macros/incremental_staging.sql)
with source as (
    select * from {{ source('ticketing', 'tickets') }}
    {{ only_keys_to_rebuild(source('ticketing', 'tickets'), empty_as_null('ticket_id'), 'ticket_id') }}
),

renamed as (
    select
        {{ empty_as_null('ticket_id') }} as ticket_id,
        {{ empty_as_null('order_id') }} as order_id,
        {{ empty_as_null('match_id') }} as match_id,
        {{ empty_as_null('season') }} as season,
        lower({{ empty_as_null('product_type') }}) as product_type,
        lower({{ empty_as_null('price_category') }}) as price_category,
        {{ empty_as_null('section') }} as section,
        {{ empty_as_null(adapter.quote('row')) }} as seat_row,
        {{ empty_as_null('seat') }} as seat,
        {{ parse_decimal('price') }} as price,
        {{ clean_text('holder_first_name') }} as holder_first_name,
        {{ clean_text('holder_last_name') }} as holder_last_name,
        {{ empty_as_null('holder_email') }} as holder_email,
        lower({{ empty_as_null('status') }}) as status,
        _export_date,
        _source_file,
        _source_line,
        _loaded_at
    from source
),

deduped as (
    {{ dedupe('renamed', 'ticket_id', '_export_date desc, _source_file desc, _source_line desc') }}
)

select
    ticket_id,
    order_id,
    match_id,
    season,
    product_type,
    price_category,
    section,
    seat_row,
    seat,
    price,
    holder_first_name,
    holder_last_name,
    holder_email,
    status,
    _export_date,
    _source_file,
    _source_line,
    _loaded_at
from deduped
where ticket_id is not null
