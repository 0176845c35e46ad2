-- Fans moving between segments over the last `report_movement_days` days to the as-of
-- date (fct_fan_transitions: RFM segment, loyalty tier, ABC class), one row per move.
with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

transitions as (
    select transitions.*
    from {{ ref('fct_fan_transitions') }} as transitions
    cross join as_of
    where
        transitions.as_of_date <= as_of.as_of_date
        and transitions.as_of_date > cast({{ dbt.dateadd('day', -1 * var('report_movement_days'), 'as_of.as_of_date') }} as date)
)

select
    transitions.dimension,
    transitions.from_value,
    transitions.to_value,
    transitions.direction,
    cast(count(distinct transitions.fan_id) as integer) as fans,
    min(transitions.as_of_date) as first_moved_on,
    max(transitions.as_of_date) as last_moved_on
from transitions
group by transitions.dimension, transitions.from_value, transitions.to_value, transitions.direction
