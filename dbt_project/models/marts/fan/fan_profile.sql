-- One row per fan (every fan of dim_fan): what the fan buys, when, where, how the fan comes
-- to the stadium, how the fan reads the club's emails and the fan's latest NPS, as of the
-- run's as-of date. Purchases are counted purchases (ticketing orders whose latest status
-- is paid, shop orders with a positive net), all time up to the as-of date.
-- Modes (preferred channel, weekday, hour, usual company) break ties by the most recent
-- purchase or outing, then by value.
with as_of as (
    select
        as_of_date,
        retention_cutoff_date
    from {{ ref('int_run_as_of_resolved') }}
),

fans as (
    select
        fan_id,
        last_seen_at,
        is_anonymised
    from {{ ref('dim_fan') }}
),

purchases as (
    select * from {{ ref('int_fan_purchases_localized') }}
    where is_counted
),

purchase_summary as (
    select
        fan_id,
        min(purchased_at) as first_purchase_at,
        max(purchased_at) as last_purchase_at,
        count(*) as purchase_count,
        sum(case when channel = 'ticketing' then 1 else 0 end) as ticketing_purchase_count,
        sum(case when channel = 'shop' then 1 else 0 end) as shop_purchase_count,
        sum(net_amount_eur) as net_revenue_eur,
        sum(case when channel = 'ticketing' then net_amount_eur else 0 end) as ticketing_net_revenue_eur,
        sum(case when channel = 'shop' then net_amount_eur else 0 end) as shop_net_revenue_eur
    from purchases
    group by fan_id
),

channel_counts as (
    select
        fan_id,
        sales_channel,
        count(*) as purchases,
        max(purchased_at) as last_at
    from purchases
    group by fan_id, sales_channel
),

preferred_channel as (
    {{ dedupe('channel_counts', 'fan_id', 'purchases desc, last_at desc, sales_channel') }}
),

weekday_counts as (
    select
        fan_id,
        purchase_weekday,
        count(*) as purchases,
        max(purchased_at) as last_at
    from purchases
    group by fan_id, purchase_weekday
),

preferred_weekday as (
    {{ dedupe('weekday_counts', 'fan_id', 'purchases desc, last_at desc, purchase_weekday') }}
),

hour_counts as (
    select
        fan_id,
        purchase_hour,
        count(*) as purchases,
        max(purchased_at) as last_at
    from purchases
    group by fan_id, purchase_hour
),

preferred_hour as (
    {{ dedupe('hour_counts', 'fan_id', 'purchases desc, last_at desc, purchase_hour') }}
),

attendance as (
    select
        fan_id,
        count(*) as matches_attended,
        sum(case when is_home then 1 else 0 end) as home_matches_attended,
        max(attended_on) as last_match_attended_on
    from {{ ref('int_fan_matches_attended') }}
    group by fan_id
),

pass_seasons as (
    select distinct
        fan_id,
        season
    from {{ ref('int_fan_season_passes_held') }}
),

season_passes as (
    select
        fan_id,
        count(*) as season_pass_season_count,
        {{ dbt.listagg('season', "', '", 'order by season') }} as season_pass_seasons
    from pass_seasons
    group by fan_id
),

outings as (
    select * from {{ ref('int_fan_outings_classified') }}
),

outing_summary as (
    select
        fan_id,
        count(*) as outings,
        sum(case when company = 'alone' then 1 else 0 end) as outings_alone,
        sum(case when company = 'family' then 1 else 0 end) as outings_with_family,
        sum(case when company = 'others' then 1 else 0 end) as outings_with_others
    from outings
    group by fan_id
),

company_counts as (
    select
        fan_id,
        company,
        count(*) as outings,
        max(order_date) as last_on
    from outings
    group by fan_id, company
),

usual_company as (
    {{ dedupe('company_counts', 'fan_id', 'outings desc, last_on desc, company') }}
),

email_events as (
    select events.*
    from {{ ref('fct_email_events') }} as events
    cross join as_of
    where
        events.fan_id is not null
        and events.event_date <= as_of.as_of_date
),

email_summary as (
    select
        email_events.fan_id,
        sum(case
            when
                email_events.event_type = 'delivered'
                and email_events.event_date > {{ dbt.dateadd('day', -1 * var('email_engagement_window_days'), 'as_of.as_of_date') }}
                then 1
            else 0
        end) as emails_delivered_recent,
        sum(case
            when
                email_events.is_human_open
                and email_events.event_date > {{ dbt.dateadd('day', -1 * var('email_engagement_window_days'), 'as_of.as_of_date') }}
                then 1
            else 0
        end) as human_opens_recent,
        sum(case
            when
                email_events.event_type = 'click'
                and email_events.event_date > {{ dbt.dateadd('day', -1 * var('email_engagement_window_days'), 'as_of.as_of_date') }}
                then 1
            else 0
        end) as clicks_recent,
        max(case
            when email_events.is_human_open or email_events.event_type = 'click' then email_events.event_date
        end) as last_email_engagement_date
    from email_events
    cross join as_of
    group by email_events.fan_id
),

nps_answers as (
    select responses.*
    from {{ ref('fct_survey_responses') }} as responses
    cross join as_of
    where
        responses.survey_type = 'nps'
        and responses.is_latest_answer
        and responses.fan_id is not null
        and responses.answered_date <= as_of.as_of_date
),

latest_nps as (
    {{ dedupe('nps_answers', 'fan_id', 'answered_at desc, response_id desc') }}
),

survey_answers as (
    select
        responses.fan_id,
        max(responses.answered_date) as last_survey_answer_date
    from {{ ref('fct_survey_responses') }} as responses
    cross join as_of
    where
        responses.fan_id is not null
        and responses.answered_date <= as_of.as_of_date
    group by responses.fan_id
),

-- The fan's own activity: a record of the fan dated (an order, an account, a contact
-- changed), a match attended, an email opened by a person or clicked, a survey answered.
-- An email delivered is the club's activity, not the fan's.
activity as (
    select
        fans.fan_id,
        {{ utc_to_local_date('fans.last_seen_at') }} as last_record_date,
        email_summary.last_email_engagement_date,
        survey_answers.last_survey_answer_date
    from fans
    left join email_summary on fans.fan_id = email_summary.fan_id
    left join survey_answers on fans.fan_id = survey_answers.fan_id
),

-- greatest() ignores nulls on DuckDB and Spark alike
last_activity as (
    select
        activity.fan_id,
        greatest(
            activity.last_record_date,
            attendance.last_match_attended_on,
            activity.last_email_engagement_date,
            activity.last_survey_answer_date
        ) as last_activity_date
    from activity
    left join attendance on activity.fan_id = attendance.fan_id
)

select
    fans.fan_id,
    as_of.as_of_date,
    purchase_summary.first_purchase_at,
    purchase_summary.last_purchase_at,
    {{ utc_to_local_date('purchase_summary.first_purchase_at') }} as first_purchase_date,
    {{ utc_to_local_date('purchase_summary.last_purchase_at') }} as last_purchase_date,
    cast(coalesce(purchase_summary.purchase_count, 0) as integer) as purchase_count,
    cast(coalesce(purchase_summary.ticketing_purchase_count, 0) as integer) as ticketing_purchase_count,
    cast(coalesce(purchase_summary.shop_purchase_count, 0) as integer) as shop_purchase_count,
    {{ money('coalesce(purchase_summary.net_revenue_eur, 0)') }} as net_revenue_eur,
    {{ money('coalesce(purchase_summary.ticketing_net_revenue_eur, 0)') }} as ticketing_net_revenue_eur,
    {{ money('coalesce(purchase_summary.shop_net_revenue_eur, 0)') }} as shop_net_revenue_eur,
    cast(round(
        100.0 * purchase_summary.ticketing_net_revenue_eur / nullif(purchase_summary.net_revenue_eur, 0), 2
    ) as decimal(5, 2)) as ticketing_revenue_share_pct,
    cast(round(
        100.0 * purchase_summary.shop_net_revenue_eur / nullif(purchase_summary.net_revenue_eur, 0), 2
    ) as decimal(5, 2)) as shop_revenue_share_pct,
    preferred_channel.sales_channel as preferred_channel,
    {{ weekday_name('preferred_weekday.purchase_weekday') }} as preferred_purchase_weekday,
    preferred_hour.purchase_hour as preferred_purchase_hour,
    cast(coalesce(attendance.matches_attended, 0) as integer) as matches_attended,
    cast(coalesce(attendance.home_matches_attended, 0) as integer) as home_matches_attended,
    attendance.last_match_attended_on,
    cast(coalesce(season_passes.season_pass_season_count, 0) as integer) as season_pass_season_count,
    season_passes.season_pass_seasons,
    cast(coalesce(outing_summary.outings, 0) as integer) as outings,
    cast(coalesce(outing_summary.outings_alone, 0) as integer) as outings_alone,
    cast(coalesce(outing_summary.outings_with_family, 0) as integer) as outings_with_family,
    cast(coalesce(outing_summary.outings_with_others, 0) as integer) as outings_with_others,
    usual_company.company as usual_company,
    cast(coalesce(email_summary.emails_delivered_recent, 0) as integer) as emails_delivered_recent,
    cast(coalesce(email_summary.human_opens_recent, 0) as integer) as human_opens_recent,
    cast(coalesce(email_summary.clicks_recent, 0) as integer) as clicks_recent,
    case
        when email_summary.fan_id is null then null
        when email_summary.clicks_recent > 0 then 'clicker'
        when email_summary.human_opens_recent > 0 then 'opener'
        when email_summary.emails_delivered_recent > 0 then 'passive'
        else 'dormant'
    end as email_engagement_level,
    cast(latest_nps.score as integer) as latest_nps_score,
    case
        when latest_nps.score >= 9 then 'promoter'
        when latest_nps.score >= 7 then 'passive'
        when latest_nps.score >= 0 then 'detractor'
    end as latest_nps_class,
    latest_nps.answered_date as latest_nps_answered_on,
    email_summary.last_email_engagement_date,
    survey_answers.last_survey_answer_date,
    last_activity.last_activity_date,
    coalesce(last_activity.last_activity_date < as_of.retention_cutoff_date, false) as is_retention_expired,
    fans.is_anonymised
from fans
cross join as_of
left join purchase_summary on fans.fan_id = purchase_summary.fan_id
left join preferred_channel on fans.fan_id = preferred_channel.fan_id
left join preferred_weekday on fans.fan_id = preferred_weekday.fan_id
left join preferred_hour on fans.fan_id = preferred_hour.fan_id
left join attendance on fans.fan_id = attendance.fan_id
left join season_passes on fans.fan_id = season_passes.fan_id
left join outing_summary on fans.fan_id = outing_summary.fan_id
left join usual_company on fans.fan_id = usual_company.fan_id
left join email_summary on fans.fan_id = email_summary.fan_id
left join latest_nps on fans.fan_id = latest_nps.fan_id
left join survey_answers on fans.fan_id = survey_answers.fan_id
left join last_activity on fans.fan_id = last_activity.fan_id
