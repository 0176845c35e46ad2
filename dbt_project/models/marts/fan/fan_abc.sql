{#- The three shares must cover all revenue. -#}
{%- if var('abc_class_a_pct') + var('abc_class_b_pct') + var('abc_class_c_pct') != 100 -%}
    {{ exceptions.raise_compiler_error("abc_class_a_pct + abc_class_b_pct + abc_class_c_pct must be 100") }}
{%- endif -%}
-- ABC (Pareto) class per fan with a positive net revenue over the last abc_window_months
-- months up to the as-of date (counted purchases, refunds deducted, EUR). Fans are sorted
-- by revenue, highest first; revenue_ahead_pct is the share of revenue made by fans with a
-- strictly higher revenue:
--   A  revenue_ahead_pct < abc_class_a_pct  (the fans making the first 80 %),
--   B  revenue_ahead_pct < abc_class_a_pct + abc_class_b_pct  (the next 15 %),
--   C  the rest (the last 5 %).
-- Tie rule: fans with equal revenue have the same revenue ahead, hence the same class.
with as_of as (
    select
        as_of_date,
        {{ dbt.dateadd('month', -1 * var('abc_window_months'), 'as_of_date') }} as window_start
    from {{ ref('int_run_as_of_resolved') }}
),

revenue as (
    select
        purchases.fan_id,
        max(as_of.as_of_date) as as_of_date,
        sum(purchases.net_amount_eur) as net_revenue_eur
    from {{ ref('int_fan_purchases_localized') }} as purchases
    cross join as_of
    where
        purchases.is_counted
        and purchases.purchase_date > as_of.window_start
        and purchases.purchase_date <= as_of.as_of_date
    group by purchases.fan_id
    having sum(purchases.net_amount_eur) > 0
),

cumulated as (
    select
        *,
        rank() over (order by net_revenue_eur desc) as revenue_rank,
        sum(net_revenue_eur) over () as total_revenue_eur,
        sum(net_revenue_eur) over (
            order by net_revenue_eur desc range between unbounded preceding and current row
        ) as cumulative_revenue_eur,
        sum(net_revenue_eur) over (partition by net_revenue_eur) as tied_revenue_eur
    from revenue
),

shared as (
    select
        *,
        100.0 * net_revenue_eur / total_revenue_eur as revenue_share_pct,
        100.0 * cumulative_revenue_eur / total_revenue_eur as cumulative_share_pct,
        100.0 * (cumulative_revenue_eur - tied_revenue_eur) / total_revenue_eur as revenue_ahead_pct
    from cumulated
)

select
    fan_id,
    as_of_date,
    {{ money('net_revenue_eur') }} as net_revenue_eur,
    cast(revenue_rank as integer) as revenue_rank,
    cast(round(revenue_share_pct, 4) as decimal(9, 4)) as revenue_share_pct,
    cast(round(cumulative_share_pct, 4) as decimal(9, 4)) as cumulative_share_pct,
    cast(round(revenue_ahead_pct, 4) as decimal(9, 4)) as revenue_ahead_pct,
    case
        when revenue_ahead_pct < {{ var('abc_class_a_pct') }} then 'A'
        when revenue_ahead_pct < {{ var('abc_class_a_pct') + var('abc_class_b_pct') }} then 'B'
        else 'C'
    end as abc_class
from shared
