with source as (
    select * from {{ source('ticketing', 'access') }}
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
        _source_line
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
    _source_line
from deduped
where scan_id is not null
