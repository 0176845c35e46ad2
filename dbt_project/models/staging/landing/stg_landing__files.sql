-- One row per landing file the ingestion saw, and what became of it. load_status: loaded,
-- replaced (a re-export under the same name), duplicate (the bytes of a file already
-- loaded), empty (a header only), refused or error (nothing loaded: load_error says why).
with source as (
    select * from {{ source('landing', 'file_manifest') }}
)

select
    file_type,
    {{ dbt.split_part('_source_file', "'/'", 1) }} as source_tool,
    _source_file as source_file,
    export_date,
    size_bytes,
    encoding,
    cast(coalesce(rows_read, 0) as bigint) as rows_read,
    cast(coalesce(rows_loaded, 0) as bigint) as rows_loaded,
    cast(coalesce(rows_quarantined, 0) as bigint) as rows_quarantined,
    status as load_status,
    error as load_error,
    loaded_at
from source
