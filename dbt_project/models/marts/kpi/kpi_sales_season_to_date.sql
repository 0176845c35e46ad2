-- This season to the as-of date beside last season to the same day a year earlier: a
-- like-for-like comparison (a whole past season against a season in progress is not).
-- Channel: ticketing | shop | all. Purchases as in kpi_sales_season.
with as_of as (
    select
        as_of_date,
        {{ season_of('as_of_date') }} as current_season
    from {{ ref('int_run_as_of_resolved') }}
),

windows as (
    select
        current_season as season,
        true as is_current_season,
        as_of_date as cut_off_date
    from as_of
    union all
    select
        {{ season_shifted('current_season', -1) }} as season,
        false as is_current_season,
        cast({{ dbt.dateadd('year', -1, 'as_of_date') }} as date) as cut_off_date
    from as_of
),

channels as (
    select 'ticketing' as channel
    union all
    select 'shop' as channel
    union all
    select 'all' as channel
),

purchases as (
    select
        windows.season,
        purchases.channel,
        purchases.fan_id,
        purchases.is_counted,
        purchases.net_amount_eur
    from {{ ref('int_purchases_sequenced') }} as purchases
    inner join windows
        on
            purchases.purchase_season = windows.season
            and purchases.purchase_date <= windows.cut_off_date
),

scoped as (
    select
        season,
        channel,
        fan_id,
        is_counted,
        net_amount_eur
    from purchases
    union all
    select
        season,
        'all' as channel,
        fan_id,
        is_counted,
        net_amount_eur
    from purchases
),

totals as (
    select
        season,
        channel,
        sum(case when is_counted then 1 else 0 end) as orders,
        count(distinct case when is_counted then fan_id end) as buyers,
        sum(net_amount_eur) as net_revenue_eur
    from scoped
    group by season, channel
)

select
    windows.season,
    channels.channel,
    windows.is_current_season,
    windows.cut_off_date,
    cast(coalesce(totals.orders, 0) as integer) as orders,
    cast(coalesce(totals.buyers, 0) as integer) as buyers,
    {{ money('coalesce(totals.net_revenue_eur, 0)') }} as net_revenue_eur
from windows
cross join channels
left join totals
    on windows.season = totals.season and channels.channel = totals.channel
