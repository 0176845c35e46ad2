{#- Sales, repeat purchase and purchase frequency per period (`period`: a column of
    int_purchases_sequenced, purchase_month or purchase_season, with its first_<period>
    column) and channel (ticketing | shop | all), output column `period_alias`. Each
    purchase is counted once in its channel and once in 'all'; the repeat measures of a
    channel row follow the fan's purchases in that channel, those of 'all' in any channel.
    Shared by kpi_sales_monthly and kpi_sales_season. -#}
{% macro sales_by_period(period, period_alias) %}
with purchases as (
    select * from {{ ref('int_purchases_sequenced') }}
),

scoped as (
    select
        channel,
        {{ period }} as period,
        fan_id,
        is_counted,
        first_{{ period }} as first_purchase_period,
        gross_amount_eur,
        refunded_amount_eur,
        net_amount_eur,
        days_since_previous_channel_purchase as days_since_previous
    from purchases
    union all
    select
        'all' as channel,
        {{ period }} as period,
        fan_id,
        is_counted,
        first_{{ period }} as first_purchase_period,
        gross_amount_eur,
        refunded_amount_eur,
        net_amount_eur,
        days_since_previous_purchase as days_since_previous
    from purchases
),

totals as (
    select
        channel,
        period,
        sum(case when is_counted then 1 else 0 end) as orders,
        sum(case when is_counted and fan_id is not null then 1 else 0 end) as fan_orders,
        count(distinct case when is_counted then fan_id end) as buyers,
        count(distinct case when is_counted and first_purchase_period = period then fan_id end) as new_buyers,
        sum(gross_amount_eur) as gross_revenue_eur,
        sum(refunded_amount_eur) as refunds_eur,
        sum(net_amount_eur) as net_revenue_eur,
        avg(case when is_counted then days_since_previous end) as average_days_between_purchases
    from scoped
    group by channel, period
),

fan_purchases as (
    select
        channel,
        period,
        fan_id,
        count(*) as purchases
    from scoped
    where is_counted and fan_id is not null
    group by channel, period, fan_id
),

repeaters as (
    select
        channel,
        period,
        count(*) as repeat_buyers
    from fan_purchases
    where purchases >= 2
    group by channel, period
)

select
    totals.period as {{ period_alias }},
    totals.channel,
    cast(totals.orders as integer) as orders,
    cast(totals.buyers as integer) as buyers,
    cast(totals.new_buyers as integer) as new_buyers,
    cast(totals.buyers - totals.new_buyers as integer) as returning_buyers,
    {{ money('totals.gross_revenue_eur') }} as gross_revenue_eur,
    {{ money('totals.refunds_eur') }} as refunds_eur,
    {{ money('totals.net_revenue_eur') }} as net_revenue_eur,
    {{ money('case when totals.orders > 0 then totals.net_revenue_eur / totals.orders end') }} as average_basket_eur,
    cast(coalesce(repeaters.repeat_buyers, 0) as integer) as repeat_buyers,
    cast(case when totals.buyers > 0 then 1.0 * coalesce(repeaters.repeat_buyers, 0) / totals.buyers end as double)
        as repeat_purchase_rate,
    cast(case when totals.buyers > 0 then 1.0 * totals.fan_orders / totals.buyers end as double) as purchases_per_buyer,
    cast(totals.average_days_between_purchases as double) as average_days_between_purchases
from totals
left join repeaters
    on
        totals.channel = repeaters.channel
        and totals.period = repeaters.period
{% endmacro %}
