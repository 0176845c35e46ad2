{{ config(materialized='incremental', on_schema_change='append_new_columns', full_refresh=false) }}
-- Every change of a fan id, appended run after run (never rebuilt, even by --full-refresh):
--   merge  records of old_fan_id now belong to new_fan_id, and old_fan_id is retired
--          (two fans were found to be one person; the oldest id survives);
--   split  some records of old_fan_id left it for new_fan_id, and old_fan_id lives on
--          (the largest part keeps the id).
-- Re-running the same data adds no row.
with records as (
    select * from {{ ref('int_identity_records_clustered') }}
),

-- records that changed fan id; many score alike (every account link scores 1): the record
-- key breaks the tie (greatest wins), so the evidence quoted is the same every run
moved_records as (
    select
        *,
        row_number() over (
            partition by previous_fan_id, fan_id
            order by match_score asc nulls first, record_type asc, record_id asc
        ) as evidence_order
    from records
    where previous_fan_id is not null and previous_fan_id <> fan_id
),

current_ids as (
    select distinct fan_id from records
),

moves as (
    select
        previous_fan_id as old_fan_id,
        fan_id as new_fan_id,
        count(*) as records_moved,
        {{ latest_non_null('match_evidence', 'evidence_order') }} as evidence
    from moved_records
    group by previous_fan_id, fan_id
)

select
    moves.old_fan_id,
    moves.new_fan_id,
    case when current_ids.fan_id is null then 'merge' else 'split' end as change_kind,
    cast(moves.records_moved as bigint) as records_moved,
    moves.evidence,
    as_of.as_of_date,
    cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as run_id,
    cast({{ dbt.current_timestamp() }} as timestamp) as logged_at
from moves
cross join {{ ref('int_run_as_of_resolved') }} as as_of
left join current_ids on moves.old_fan_id = current_ids.fan_id
-- history is written by the orchestrator's production runs only (var record_history)
where {{ var('record_history') | string | lower }}
