-- Attendance per price category over the home matches played to date (season passes are
-- their own category): the per-match rows of kpi_match_attendance_by_category added up.
with played as (
    select * from {{ ref('kpi_match_attendance_by_category') }}
    where is_played
),

per_category as (
    select
        price_category,
        count(distinct match_id) as matches,
        sum(valid_tickets) as valid_tickets,
        sum(attended_tickets) as attended_tickets,
        sum(coalesce(no_show_tickets, 0)) as no_show_tickets
    from played
    group by price_category
)

select
    price_category,
    cast(matches as integer) as matches,
    cast(valid_tickets as integer) as valid_tickets,
    cast(attended_tickets as integer) as attended_tickets,
    cast(no_show_tickets as integer) as no_show_tickets,
    cast(case when valid_tickets > 0 then 1.0 * no_show_tickets / valid_tickets end as double) as no_show_rate
from per_category
