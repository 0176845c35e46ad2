-- The as-of date of this run: the `as_of_date` var when set, else the newest export date
-- landed, so re-running the same exports gives the same figures.
with export_dates as (
    select max(_export_date) as export_date from {{ ref('stg_ticketing__orders') }}
    union all
    select max(_export_date) from {{ ref('stg_shop__order_lines') }}
    union all
    select max(_export_date) from {{ ref('stg_email__events') }}
    union all
    select max(_export_date) from {{ ref('stg_email__contacts') }}
)

select
    {% if var('as_of_date') %}
        max(cast('{{ var("as_of_date") }}' as date))
    {% else %}
        max(export_date)
    {% endif %} as as_of_date
from export_dates
