-- Historical customer lifetime value per segment of buyers (kpi_fan_clv): one row per
-- segment type and segment, plus 'all'. Definitions: _kpi__models.yml.
with fans as (
    select
        fan_id,
        purchases,
        historical_net_eur,
        channel_mix,
        first_channel,
        acquisition_season,
        coalesce(rfm_segment, 'Outside RFM window') as rfm_segment,
        case when is_churned then 'churned' else 'active' end as churn_status
    from {{ ref('kpi_fan_clv') }}
),

segmented as (
    select
        fan_id,
        purchases,
        historical_net_eur,
        'all' as segment_type,
        'all' as segment
    from fans
    union all
    select
        fan_id,
        purchases,
        historical_net_eur,
        'rfm_segment' as segment_type,
        rfm_segment as segment
    from fans
    union all
    select
        fan_id,
        purchases,
        historical_net_eur,
        'channel_mix' as segment_type,
        channel_mix as segment
    from fans
    union all
    select
        fan_id,
        purchases,
        historical_net_eur,
        'first_channel' as segment_type,
        first_channel as segment
    from fans
    union all
    select
        fan_id,
        purchases,
        historical_net_eur,
        'acquisition_season' as segment_type,
        acquisition_season as segment
    from fans
    union all
    select
        fan_id,
        purchases,
        historical_net_eur,
        'churn_status' as segment_type,
        churn_status as segment
    from fans
),

totals as (
    select
        count(*) as fans,
        sum(historical_net_eur) as net_eur
    from fans
),

grouped as (
    select
        segment_type,
        segment,
        count(*) as fans,
        sum(purchases) as purchases,
        sum(historical_net_eur) as total_net_eur
    from segmented
    group by segment_type, segment
)

select
    grouped.segment_type,
    grouped.segment,
    cast(grouped.fans as integer) as fans,
    cast(grouped.purchases as integer) as purchases,
    {{ money('grouped.total_net_eur') }} as total_net_eur,
    {{ money('grouped.total_net_eur / grouped.fans') }} as average_clv_eur,
    cast(1.0 * grouped.purchases / grouped.fans as double) as average_purchases,
    {{ money('case when grouped.purchases > 0 then grouped.total_net_eur / grouped.purchases end') }}
        as average_order_value_eur,
    cast(1.0 * grouped.fans / totals.fans as double) as share_of_fans,
    cast(case when totals.net_eur <> 0 then grouped.total_net_eur / totals.net_eur end as double)
        as share_of_net_revenue
from grouped
cross join totals
