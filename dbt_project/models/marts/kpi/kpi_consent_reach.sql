-- Consent and reach as of the run's as-of date: one row per measure, each a number of
-- fans over a base of fans. Per-fan flags: int_fan_channels_assessed. Definitions:
-- _kpi__models.yml.
with fans as (
    select * from {{ ref('int_fan_channels_assessed') }}
),

measures as (
    select
        'ticketing_club_optin' as metric,
        'email' as channel,
        'ticketing' as source_tool,
        sum(case when ticketing_opted_in_club then 1 else 0 end) as fans,
        sum(case when ticketing_opted_in_club is not null then 1 else 0 end) as base_fans
    from fans
    union all
    select
        'ticketing_partners_optin' as metric,
        'partners' as channel,
        'ticketing' as source_tool,
        sum(case when ticketing_opted_in_partners then 1 else 0 end) as fans,
        sum(case when ticketing_opted_in_partners is not null then 1 else 0 end) as base_fans
    from fans
    union all
    select
        'shop_email_optin' as metric,
        'email' as channel,
        'shop' as source_tool,
        sum(case when shop_accepts_email then 1 else 0 end) as fans,
        sum(case when shop_accepts_email is not null then 1 else 0 end) as base_fans
    from fans
    union all
    select
        'shop_sms_optin' as metric,
        'sms' as channel,
        'shop' as source_tool,
        sum(case when shop_accepts_sms then 1 else 0 end) as fans,
        sum(case when shop_accepts_sms is not null then 1 else 0 end) as base_fans
    from fans
    union all
    select
        'email_tool_email_optin' as metric,
        'email' as channel,
        'email' as source_tool,
        sum(case when is_email_reachable then 1 else 0 end) as fans,
        sum(case when has_email_contact then 1 else 0 end) as base_fans
    from fans
    union all
    select
        'email_tool_sms_optin' as metric,
        'sms' as channel,
        'email' as source_tool,
        sum(case when is_sms_reachable then 1 else 0 end) as fans,
        sum(case when has_sms_number then 1 else 0 end) as base_fans
    from fans
    union all
    select
        'reachable_by_email' as metric,
        'email' as channel,
        'all' as source_tool,
        sum(case when is_email_reachable then 1 else 0 end) as fans,
        count(*) as base_fans
    from fans
    union all
    select
        'reachable_by_sms' as metric,
        'sms' as channel,
        'all' as source_tool,
        sum(case when is_sms_reachable then 1 else 0 end) as fans,
        count(*) as base_fans
    from fans
    union all
    select
        'active_in_ticketing' as metric,
        'ticketing' as channel,
        'all' as source_tool,
        sum(case when is_active_ticketing then 1 else 0 end) as fans,
        sum(case when active_channels >= 1 then 1 else 0 end) as base_fans
    from fans
    union all
    select
        'active_in_shop' as metric,
        'shop' as channel,
        'all' as source_tool,
        sum(case when is_active_shop then 1 else 0 end) as fans,
        sum(case when active_channels >= 1 then 1 else 0 end) as base_fans
    from fans
    union all
    select
        'active_in_email' as metric,
        'email' as channel,
        'all' as source_tool,
        sum(case when is_active_email then 1 else 0 end) as fans,
        sum(case when active_channels >= 1 then 1 else 0 end) as base_fans
    from fans
    union all
    select
        'multichannel' as metric,
        'all' as channel,
        'all' as source_tool,
        sum(case when active_channels >= 2 then 1 else 0 end) as fans,
        sum(case when active_channels >= 1 then 1 else 0 end) as base_fans
    from fans
),

as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
)

select
    measures.metric,
    measures.channel,
    measures.source_tool,
    cast(coalesce(measures.fans, 0) as integer) as fans,
    cast(coalesce(measures.base_fans, 0) as integer) as base_fans,
    cast(case when measures.base_fans > 0 then 1.0 * measures.fans / measures.base_fans end as double) as rate,
    as_of.as_of_date
from measures
cross join as_of
