with source as (
    select * from {{ source('email', 'survey_responses') }}
),

renamed as (
    select
        {{ empty_as_null('response_id') }} as response_id,
        {{ empty_as_null('campaign_id') }} as campaign_id,
        {{ empty_as_null('email') }} as email,
        lower({{ empty_as_null('survey') }}) as survey_type,
        lower({{ empty_as_null('touchpoint') }}) as touchpoint,
        {{ parse_integer('score') }} as score,
        {{ empty_as_null('comment') }} as comment_text,
        {{ parse_timestamp_to_utc('answered_at', 'UTC') }} as answered_at,
        _export_date,
        _source_file,
        _source_line
    from source
),

-- the same response id may be delivered twice: keep one
deduped as (
    {{ dedupe('renamed', 'response_id', '_export_date desc, _source_file desc, _source_line desc') }}
)

select
    response_id,
    campaign_id,
    email,
    survey_type,
    touchpoint,
    score,
    comment_text,
    answered_at,
    _export_date,
    _source_file,
    _source_line
from deduped
where response_id is not null
