-- Activation audiences: one row per audience, channel (seeds/activation_audiences.csv)
-- and fan, as of the run's as-of date. A fan eligible for an audience
-- (int_fan_audience_candidates_selected) enters it on a channel only when marts.fan_consent
-- says the fan consents on that channel (consent_status 'granted') and the golden record
-- holds a contact point for it (email for email, phone for sms).
with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

candidates as (
    select * from {{ ref('int_fan_audience_candidates_selected') }}
),

audience_channels as (
    select * from {{ ref('activation_audiences') }}
),

consent as (
    select * from {{ ref('fan_consent') }}
    where is_consented
),

fans as (
    select
        fan_id,
        email,
        phone
    from {{ ref('dim_fan') }}
),

reachable as (
    select
        candidates.audience,
        audience_channels.channel,
        candidates.fan_id,
        candidates.reason,
        consent.deciding_signal as consent_signal,
        consent.decided_at as consent_decided_at,
        case audience_channels.channel
            when 'email' then fans.email
            when 'sms' then fans.phone
        end as contact_point
    from candidates
    inner join audience_channels on candidates.audience = audience_channels.audience
    inner join consent
        on candidates.fan_id = consent.fan_id and audience_channels.channel = consent.channel
    inner join fans on candidates.fan_id = fans.fan_id
)

select
    reachable.audience,
    reachable.channel,
    reachable.fan_id,
    reachable.contact_point,
    reachable.reason,
    reachable.consent_signal,
    reachable.consent_decided_at,
    as_of.as_of_date
from reachable
cross join as_of
where reachable.contact_point is not null
