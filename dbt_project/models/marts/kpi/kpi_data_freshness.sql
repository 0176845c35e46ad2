-- Data freshness and load quality per export type: files received and what became of
-- them, the newest export date against the as-of date, and rows read, loaded and
-- quarantined (a row is loaded or quarantined with its reason, never lost).
with files as (
    select * from {{ ref('stg_landing__files') }}
    where file_type is not null
),

as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

per_type as (
    select
        source_tool,
        file_type,
        count(*) as files_received,
        sum(case when load_status in ('loaded', 'replaced') then 1 else 0 end) as files_loaded,
        sum(case when load_status in ('refused', 'error') then 1 else 0 end) as files_refused,
        sum(case when load_status in ('duplicate', 'empty') then 1 else 0 end) as files_without_rows,
        max(case when load_status in ('loaded', 'replaced') then export_date end) as newest_export_date,
        max(loaded_at) as last_loaded_at,
        sum(rows_read) as rows_read,
        sum(rows_loaded) as rows_loaded,
        sum(rows_quarantined) as rows_quarantined
    from files
    group by source_tool, file_type
)

select
    per_type.source_tool,
    per_type.file_type,
    cast(per_type.files_received as integer) as files_received,
    cast(per_type.files_loaded as integer) as files_loaded,
    cast(per_type.files_refused as integer) as files_refused,
    cast(per_type.files_without_rows as integer) as files_without_rows,
    per_type.newest_export_date,
    cast(
        {{ dbt.datediff('per_type.newest_export_date', 'as_of.as_of_date', 'day') }}
        as integer
    ) as days_behind_as_of,
    per_type.last_loaded_at,
    cast(per_type.rows_read as bigint) as rows_read,
    cast(per_type.rows_loaded as bigint) as rows_loaded,
    cast(per_type.rows_quarantined as bigint) as rows_quarantined,
    cast(
        case when per_type.rows_read > 0 then 1.0 * per_type.rows_quarantined / per_type.rows_read end
        as double
    ) as quarantine_rate,
    as_of.as_of_date
from per_type
cross join as_of
