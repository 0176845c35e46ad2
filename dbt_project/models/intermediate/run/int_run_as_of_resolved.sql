-- The as-of date of this run, decided here and only here (the publish manifest and the
-- report read it through the marts): the `as_of_date` var when set (`grandstand run
-- --as-of`, GRANDSTAND_AS_OF), else the newest export date landed, so re-running the same
-- exports gives the same figures. A file the loader could not read at all (status error)
-- does not count.
-- retention_cutoff_date: activity before it is past the retention window (var
-- privacy_retention_months, counted from the start of the as-of month, so the window moves
-- once a month and anonymisation runs once a month, not every night).
with landed as (
    select max(export_date) as export_date
    from {{ ref('stg_landing__files') }}
    where load_status <> 'error'
),

resolved as (
    select
        {% if var('as_of_date') %}
            cast('{{ var("as_of_date") }}' as date)
        {% else %}
            export_date
        {% endif %} as as_of_date
    from landed
)

select
    as_of_date,
    cast({{ dbt.dateadd('month', -1 * var('privacy_retention_months'), dbt.date_trunc('month', 'as_of_date')) }} as date)
        as retention_cutoff_date
from resolved
