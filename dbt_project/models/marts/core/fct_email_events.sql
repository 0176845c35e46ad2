-- One row per marketing event after duplicate event ids are removed. A proxy open is a
-- machine (privacy proxy) fetching the email, not a human reading it.
with events as (
    select * from {{ ref('stg_email__events') }}
),

fans as (
    select * from {{ ref('int_fan_emails_mapped') }}
)

select
    events.event_id,
    events.campaign_id,
    fans.fan_id,
    {{ normalize_email('events.email') }} as email,
    events.event_type,
    events.event_type = 'opened' as is_human_open,
    events.sent_at,
    events.event_at,
    {{ utc_to_local_date('events.event_at') }} as event_date,
    events.url
from events
left join fans on {{ normalize_email('events.email') }} = fans.email_normalized
