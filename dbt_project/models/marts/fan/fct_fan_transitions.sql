-- The feed a marketing-automation tool consumes to trigger scenarios: one row per real
-- change of a fan's RFM segment, loyalty tier or ABC class, from marts.fan_state_history.
-- A fan's first appearance is not a transition, nor is losing a value; a fan coming back
-- moves from the last value recorded before. Re-running the same data adds no row.
--   direction  up / down for tier (seeds/loyalty_tiers.csv tier_rank) and abc (A best);
--              NULL for rfm_segment (segments are not ordered).
with history as (
    select * from {{ ref('fan_state_history') }}
    where
        previous_value is not null
        and state_value is not null
        and state_value <> previous_value
),

tiers as (
    select
        tier,
        tier_rank
    from {{ ref('loyalty_tiers') }}
)

select
    {{ surrogate_id('T', dbt.concat(['history.fan_id', "'|'", 'history.dimension', "'|'", 'history.run_id'])) }} as transition_id,
    history.fan_id,
    history.dimension,
    history.previous_value as from_value,
    history.state_value as to_value,
    case
        when history.dimension = 'tier' and to_tiers.tier_rank > from_tiers.tier_rank then 'up'
        when history.dimension = 'tier' and to_tiers.tier_rank < from_tiers.tier_rank then 'down'
        when history.dimension = 'abc' and history.state_value < history.previous_value then 'up'
        when history.dimension = 'abc' and history.state_value > history.previous_value then 'down'
    end as direction,
    history.recorded_at as changed_at,
    history.as_of_date,
    history.run_id
from history
left join tiers as from_tiers
    on history.dimension = 'tier' and history.previous_value = from_tiers.tier
left join tiers as to_tiers
    on history.dimension = 'tier' and history.state_value = to_tiers.tier
