-- RFM per fan as of the run's as-of date, over the last `rfm_window_months` months.
-- Scores 1-5 are quintiles of the fans' ranks; tie rule: equal values share a rank
-- (SQL rank()), so equal values always get the same score.
with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

purchases as (
    select purchases.*
    from {{ ref('int_purchases_unioned') }} as purchases
    cross join as_of
    where
        purchases.is_counted
        and purchases.fan_id is not null
        and purchases.purchase_date > {{ dbt.dateadd('month', -1 * var('rfm_window_months'), 'as_of.as_of_date') }}
),

per_fan as (
    select
        purchases.fan_id,
        max(as_of.as_of_date) as as_of_date,
        max(purchases.purchase_date) as last_purchase_date,
        count(distinct {{ dbt.concat(['purchases.channel', "':'", 'purchases.purchase_id']) }}) as frequency,
        sum(purchases.net_amount_eur) as monetary_eur
    from purchases
    cross join as_of
    group by purchases.fan_id
),

measured as (
    select
        *,
        {{ dbt.datediff('last_purchase_date', 'as_of_date', 'day') }} as recency_days
    from per_fan
),

ranked as (
    select
        *,
        -- recency: fewer days is better, so the most recent fans rank last (score 5)
        rank() over (order by recency_days desc) as recency_rank,
        rank() over (order by frequency) as frequency_rank,
        rank() over (order by monetary_eur) as monetary_rank,
        count(*) over () as fan_count
    from measured
),

scored as (
    select
        *,
        1 + cast(floor(5.0 * (recency_rank - 1) / fan_count) as integer) as r_score,
        1 + cast(floor(5.0 * (frequency_rank - 1) / fan_count) as integer) as f_score,
        1 + cast(floor(5.0 * (monetary_rank - 1) / fan_count) as integer) as m_score
    from ranked
)

select
    scored.fan_id,
    scored.as_of_date,
    scored.last_purchase_date,
    cast(scored.recency_days as integer) as recency_days,
    cast(scored.frequency as integer) as frequency,
    cast(scored.monetary_eur as decimal(18, 2)) as monetary_eur,
    scored.r_score,
    scored.f_score,
    scored.m_score,
    cast(scored.r_score * 100 + scored.f_score * 10 + scored.m_score as {{ dbt.type_string() }}) as rfm_code,
    segments.rfm_segment
from scored
left join {{ ref('rfm_segments') }} as segments
    on scored.r_score = segments.r_score and scored.f_score = segments.f_score
