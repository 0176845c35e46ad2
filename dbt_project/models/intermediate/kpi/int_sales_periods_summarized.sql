-- Sales, repeat purchase and purchase frequency per period and channel (ticketing | shop |
-- all): per calendar month (period_type month, month_start) and per season (period_type
-- season, season '2025-2026' from the month `season_start_month`). Each purchase counts
-- once in its channel and once in 'all'; the repeat measures of a channel row follow the
-- fan's purchases in that channel, those of 'all' in any channel. kpi_sales_monthly and
-- kpi_sales_season publish it.
with purchases as (
    select * from {{ ref('int_purchases_sequenced') }}
),

periods as (
    {%- for period_type, column in [('month', 'month'), ('season', 'season')] %}
        select
            '{{ period_type }}' as period_type,
            {{ 'cast(purchase_month as ' ~ dbt.type_string() ~ ')' if period_type == 'month' else 'purchase_season' }} as period_key,
            {{ 'purchase_month' if period_type == 'month' else 'cast(null as date)' }} as month_start,
            {{ 'purchase_season' if period_type == 'season' else 'cast(null as ' ~ dbt.type_string() ~ ')' }} as season,
            first_purchase_{{ column }} = purchase_{{ column }} as is_first_period,
            channel,
            fan_id,
            is_counted,
            gross_amount_eur,
            refunded_amount_eur,
            net_amount_eur,
            days_since_previous_channel_purchase,
            days_since_previous_purchase
        from purchases
        where purchase_{{ column }} is not null
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- each purchase in its own channel (repeat measures within the channel) and in 'all' (in
-- any channel)
scoped as (
    {%- for channel, days_column in [
        ('channel', 'days_since_previous_channel_purchase'),
        ("'all'", 'days_since_previous_purchase'),
    ] %}
        select
            period_type,
            period_key,
            month_start,
            season,
            {{ channel }} as channel,
            fan_id,
            is_counted,
            is_first_period,
            gross_amount_eur,
            refunded_amount_eur,
            net_amount_eur,
            {{ days_column }} as days_since_previous
        from periods
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

totals as (
    select
        period_type,
        period_key,
        month_start,
        season,
        channel,
        sum(case when is_counted then 1 else 0 end) as orders,
        sum(case when is_counted and fan_id is not null then 1 else 0 end) as fan_orders,
        count(distinct case when is_counted then fan_id end) as buyers,
        count(distinct case when is_counted and is_first_period then fan_id end) as new_buyers,
        sum(gross_amount_eur) as gross_revenue_eur,
        sum(refunded_amount_eur) as refunds_eur,
        sum(net_amount_eur) as net_revenue_eur,
        avg(case when is_counted then days_since_previous end) as average_days_between_purchases
    from scoped
    group by period_type, period_key, month_start, season, channel
),

fan_purchases as (
    select
        period_type,
        period_key,
        channel,
        fan_id,
        count(*) as purchases
    from scoped
    where is_counted and fan_id is not null
    group by period_type, period_key, channel, fan_id
),

repeaters as (
    select
        period_type,
        period_key,
        channel,
        count(*) as repeat_buyers
    from fan_purchases
    where purchases >= 2
    group by period_type, period_key, channel
)

select
    totals.period_type,
    totals.period_key,
    totals.month_start,
    totals.season,
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
        totals.period_type = repeaters.period_type
        and totals.channel = repeaters.channel
        and totals.period_key = repeaters.period_key
