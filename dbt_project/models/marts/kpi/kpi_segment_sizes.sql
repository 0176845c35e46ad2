-- How many fans sit in each segment of each segmentation, as of the run: RFM segment
-- (buying fans), loyalty tier (every fan with points), ABC class (buying fans, with the
-- revenue each class brings) and season-ticket churn risk (holders of a pass this season).
-- segment_order orders a segmentation's segments for display (tier rank, A before B).
with segments as (
    select
        'rfm_segment' as segment_type,
        rfm_segment as segment,
        cast(null as integer) as segment_order,
        cast(null as decimal(18, 2)) as net_revenue_eur
    from {{ ref('fan_rfm') }}
    union all
    select
        'loyalty_tier' as segment_type,
        loyalty_tier as segment,
        tier_rank as segment_order,
        cast(null as decimal(18, 2)) as net_revenue_eur
    from {{ ref('fan_loyalty') }}
    union all
    select
        'abc_class' as segment_type,
        abc_class as segment,
        cast(null as integer) as segment_order,
        net_revenue_eur
    from {{ ref('fan_abc') }}
    union all
    select
        'season_ticket_churn_risk' as segment_type,
        churn_risk_level as segment,
        case churn_risk_level when 'high' then 1 when 'medium' then 2 else 3 end as segment_order,
        cast(null as decimal(18, 2)) as net_revenue_eur
    from {{ ref('season_ticket_health') }}
    where is_current_season
),

sizes as (
    select
        segment_type,
        segment,
        min(segment_order) as segment_order,
        count(*) as fans,
        sum(net_revenue_eur) as net_revenue_eur
    from segments
    where segment is not null
    group by segment_type, segment
)

select
    segment_type,
    segment,
    cast(coalesce(segment_order, dense_rank() over (partition by segment_type order by segment)) as integer)
        as segment_order,
    cast(fans as integer) as fans,
    cast(1.0 * fans / sum(fans) over (partition by segment_type) as double) as share_of_fans,
    {{ money('net_revenue_eur') }} as net_revenue_eur,
    cast(
        case
            when sum(net_revenue_eur) over (partition by segment_type) <> 0
                then net_revenue_eur / sum(net_revenue_eur) over (partition by segment_type)
        end as double
    ) as share_of_net_revenue
from sizes
