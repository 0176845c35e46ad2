-- One row per survey answer (duplicate response ids removed). A person may answer the
-- same campaign's survey again: only the latest answer per (campaign, email, survey)
-- counts (is_latest_answer).
with responses as (
    select
        *,
        {{ normalize_email('email') }} as email_normalized
    from {{ ref('stg_email__survey_responses') }}
),

ranked as (
    select
        responses.*,
        row_number() over (
            partition by
                responses.campaign_id,
                coalesce(responses.email_normalized, responses.response_id),
                responses.survey_type
            order by responses.answered_at desc, responses.response_id desc
        ) = 1 as is_latest_answer
    from responses
),

fans as (
    select * from {{ ref('int_fan_emails_mapped') }}
)

select
    ranked.response_id,
    ranked.campaign_id,
    fans.fan_id,
    ranked.email_normalized as email,
    ranked.survey_type,
    ranked.touchpoint,
    ranked.score,
    ranked.comment_text,
    ranked.answered_at,
    {{ utc_to_local_date('ranked.answered_at') }} as answered_date,
    ranked.is_latest_answer
from ranked
left join fans on ranked.email_normalized = fans.email_normalized
