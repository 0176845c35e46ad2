{{ config(
    materialized='incremental', incremental_strategy='delete+insert', unique_key='event_id',
    pre_hook="{{ forget_replaced_loads(source('email', 'events')) }}"
) }}
-- incremental: a night rebuilds only the keys its loads touched (macros/incremental_staging.sql)
with source as (
    select * from {{ source('email', 'events') }}
    {{ only_keys_to_rebuild(source('email', 'events'), empty_as_null('id'), 'event_id') }}
),

renamed as (
    select
        {{ empty_as_null('id') }} as event_id,
        {{ empty_as_null('camp_id') }} as campaign_id,
        {{ free_text('campaign_name') }} as campaign_name,
        {{ empty_as_null('email') }} as email,
        lower({{ empty_as_null('event') }}) as event_type,
        -- ts_* are UTC epoch seconds; date_* are local wall-clock copies of the same instants
        {{ epoch_to_utc('ts_sent') }} as sent_at,
        {{ epoch_to_utc('ts_event') }} as event_at,
        {{ free_text('url') }} as url,
        {{ empty_as_null('tag') }} as tag,
        _export_date,
        _source_file,
        _source_line,
        _loaded_at
    from source
),

-- delivery is at-least-once: the same event id may arrive twice; keep its first arrival
deduped as (
    {{ dedupe('renamed', 'event_id', '_export_date asc, _source_file asc, _source_line asc') }}
)

select
    event_id,
    campaign_id,
    campaign_name,
    email,
    event_type,
    sent_at,
    event_at,
    url,
    tag,
    _export_date,
    _source_file,
    _source_line,
    _loaded_at
from deduped
where event_id is not null
