{{ config(
    materialized='incremental', incremental_strategy='delete+insert', unique_key='response_id',
    pre_hook="{{ forget_replaced_loads(source('email', 'survey_responses')) }}"
) }}
-- incremental: a night rebuilds only the keys its loads touched (macros/incremental_staging.sql)
with source as (
    select * from {{ source('email', 'survey_responses') }}
    {{ only_keys_to_rebuild(source('email', 'survey_responses'), empty_as_null('response_id'), 'response_id') }}
),

renamed as (
    select
        {{ empty_as_null('response_id') }} as response_id,
        {{ empty_as_null('campaign_id') }} as campaign_id,
        {{ empty_as_null('email') }} as email,
        lower({{ empty_as_null('survey') }}) as survey_type,
        lower({{ empty_as_null('touchpoint') }}) as touchpoint,
        {{ parse_integer('score') }} as score,
        {{ free_text('comment') }} as comment_text,
        {{ parse_timestamp_to_utc('answered_at', 'UTC') }} as answered_at,
        _export_date,
        _source_file,
        _source_line,
        _loaded_at
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
    _source_line,
    _loaded_at
from deduped
where response_id is not null
