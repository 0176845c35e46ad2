-- Consent per fan and channel (every fan × every channel of seeds/consent_precedence.csv),
-- decided across the three tools with the precedence documented in that seed:
--   1. a signal marked 'ignored' decides nothing;
--   2. a grant that is only an observed state (is_dated_choice false) counts only when the
--      fan has no withdrawal on that channel: it cannot lift an unsubscribe, a blacklist
--      or a spam complaint, since nobody knows it came later;
--   3. among the remaining signals the newest wins (the newest explicit choice); at the
--      same instant the lowest tie_rank (withdrawals first), then the signal code.
-- No deciding signal: 'unknown', which is no consent.
with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

signals as (
    select * from {{ ref('int_fan_consent_signals_unioned') }}
),

fans as (
    select fan_id from {{ ref('dim_fan') }}
),

channels as (
    select distinct channel from {{ ref('consent_precedence') }}
),

summary as (
    select
        fan_id,
        channel,
        count(*) as signal_count,
        max(case when consent = 'granted' then stated_at end) as last_granted_at,
        max(case when consent = 'withdrawn' then stated_at end) as last_withdrawn_at,
        max(case when consent = 'withdrawn' then 1 else 0 end) = 1 as has_withdrawal
    from signals
    group by fan_id, channel
),

eligible as (
    select signals.*
    from signals
    inner join summary
        on signals.fan_id = summary.fan_id and signals.channel = summary.channel
    where
        signals.consent = 'withdrawn'
        or (signals.consent = 'granted' and (signals.is_dated_choice or not summary.has_withdrawal))
),

deciding as (
    {{ dedupe('eligible', 'fan_id, channel', 'stated_at desc, tie_rank asc, signal_code asc, source_record_type asc, source_record_id asc') }}
)

select
    fans.fan_id,
    channels.channel,
    deciding.signal_code as deciding_signal,
    deciding.source_record_type as deciding_record_type,
    deciding.source_record_id as deciding_record_id,
    deciding.stated_at as decided_at,
    summary.last_granted_at,
    summary.last_withdrawn_at,
    as_of.as_of_date,
    cast(coalesce(summary.signal_count, 0) as integer) as signal_count,
    coalesce(deciding.consent, 'unknown') as consent_status,
    coalesce(deciding.consent = 'granted', false) as is_consented
from fans
cross join channels
cross join as_of
left join summary on fans.fan_id = summary.fan_id and channels.channel = summary.channel
left join deciding on fans.fan_id = deciding.fan_id and channels.channel = deciding.channel
