-- The as-of date of this run, decided here and only here (the publish manifest and the
-- report read it through the marts): the `as_of_date` var when set (`grandstand run
-- --as-of`, GRANDSTAND_AS_OF), else the newest export date landed, so re-running the same
-- exports gives the same figures. A file the loader could not read at all (status error)
-- does not count.
with landed as (
    select max(export_date) as export_date
    from {{ ref('stg_landing__files') }}
    where load_status <> 'error'
)

select
    {% if var('as_of_date') %}
        cast('{{ var("as_of_date") }}' as date)
    {% else %}
        export_date
    {% endif %} as as_of_date
from landed
