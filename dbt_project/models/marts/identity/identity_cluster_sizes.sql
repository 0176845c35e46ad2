-- How many fans have 1, 2, 3, ... source records: the shape of identity resolution. A
-- long tail of very large fans is the first sign of over-merging.
with fan_sizes as (
    select
        fan_id,
        count(*) as record_count
    from {{ ref('int_identity_records_clustered') }}
    group by fan_id
)

select
    cast(record_count as integer) as records_per_fan,
    cast(count(*) as bigint) as fans,
    cast(sum(record_count) as bigint) as records
from fan_sizes
group by record_count
