{{ config(materialized='incremental', on_schema_change='append_new_columns', full_refresh=false) }}
-- History of each fan's RFM segment, loyalty tier and ABC class, appended run after run and
-- never rebuilt (not even by --full-refresh). A run appends one row per fan and dimension
-- whose value differs from the last one recorded:
--   first appearance  previous_value NULL;
--   change            state_value = the new value;
--   loss              state_value NULL (the fan left the RFM window, has no revenue any more, or
--                     the fan id was retired by a merge: the surviving id continues).
-- previous_value is the last non-NULL value recorded before. Re-running the same data
-- appends nothing.
with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

current_states as (
    select * from {{ ref('int_fan_states_unioned') }}
),

{% if is_incremental() %}
    recorded as (
        select * from {{ this }}
    ),

    latest as (
        {{ dedupe('recorded', 'fan_id, dimension', 'recorded_at desc, as_of_date desc') }}
    ),

    last_known as (
        select
            fan_id,
            dimension,
            {{ latest_non_null('state_value', 'recorded_at') }} as last_value
        from recorded
        group by fan_id, dimension
    ),
{% else %}
    latest as (
        select
            cast(null as {{ dbt.type_string() }}) as fan_id,
            cast(null as {{ dbt.type_string() }}) as dimension,
            cast(null as {{ dbt.type_string() }}) as state_value
        where 1 = 0
    ),

    last_known as (
        select
            cast(null as {{ dbt.type_string() }}) as fan_id,
            cast(null as {{ dbt.type_string() }}) as dimension,
            cast(null as {{ dbt.type_string() }}) as last_value
        where 1 = 0
    ),
{% endif %}

compared as (
    select
        current_states.state_value,
        latest.state_value as latest_value,
        coalesce(current_states.fan_id, latest.fan_id) as fan_id,
        coalesce(current_states.dimension, latest.dimension) as dimension,
        latest.fan_id is not null as was_recorded
    from current_states
    full outer join latest
        on current_states.fan_id = latest.fan_id and current_states.dimension = latest.dimension
),

changes as (
    select
        compared.fan_id,
        compared.dimension,
        compared.state_value,
        last_known.last_value as previous_value
    from compared
    left join last_known
        on compared.fan_id = last_known.fan_id and compared.dimension = last_known.dimension
    where
        (not compared.was_recorded and compared.state_value is not null)
        or (compared.was_recorded and compared.state_value is distinct from compared.latest_value)
)

select
    changes.fan_id,
    changes.dimension,
    changes.state_value,
    changes.previous_value,
    as_of.as_of_date,
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as recorded_at,
    cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as run_id
from changes
cross join as_of
-- history is written by the orchestrator's production runs only (var record_history)
where {{ var('record_history') | string | lower }}
