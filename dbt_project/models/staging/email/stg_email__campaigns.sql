with source as (
    select * from {{ source('email', 'campaigns') }}
),

renamed as (
    select
        {{ empty_as_null('campaign_id') }} as campaign_id,
        {{ free_text('name') }} as campaign_name,
        {{ free_text('subject') }} as subject,
        lower({{ empty_as_null('type') }}) as campaign_type,
        -- the marketing tool writes its timestamps in UTC
        {{ parse_timestamp_to_utc('sent_at', 'UTC') }} as sent_at,
        {{ empty_as_null('list') }} as list_name,
        _export_date,
        _source_file,
        _source_line
    from source
),

deduped as (
    {{ dedupe('renamed', 'campaign_id', '_export_date desc, _source_file desc, _source_line desc') }}
)

select
    campaign_id,
    campaign_name,
    subject,
    campaign_type,
    sent_at,
    list_name,
    _export_date,
    _source_file,
    _source_line
from deduped
where campaign_id is not null
