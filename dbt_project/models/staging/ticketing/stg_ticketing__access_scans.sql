{{ config(
    materialized='incremental', incremental_strategy='delete+insert', unique_key='scan_id',
    pre_hook="{{ forget_replaced_loads(source('ticketing', 'access')) }}"
) }}
-- incremental: a night rebuilds only the keys its loads touched (macros/incremental_staging.sql)
with source as (
    select * from {{ source('ticketing', 'access') }}
    {{ only_keys_to_rebuild(source('ticketing', 'access'), empty_as_null('scan_id'), 'scan_id') }}
),

renamed as (
    select
        {{ empty_as_null('scan_id') }} as scan_id,
        {{ empty_as_null('ticket_id') }} as ticket_id,
        {{ empty_as_null('match_id') }} as match_id,
        {{ empty_as_null('gate') }} as gate,
        {{ parse_timestamp_to_utc('scanned_at') }} as scanned_at,
        lower({{ empty_as_null('result') }}) as result,
        _export_date,
        _source_file,
        _source_line,
        _loaded_at
    from source
),

deduped as (
    {{ dedupe('renamed', 'scan_id', '_export_date desc, _source_file desc, _source_line desc') }}
)

select
    scan_id,
    ticket_id,
    match_id,
    gate,
    scanned_at,
    result,
    _export_date,
    _source_file,
    _source_line,
    _loaded_at
from deduped
where scan_id is not null
