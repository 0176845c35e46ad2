-- Attendance per home match and price category. Definitions: _kpi__models.yml.
with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

matches as (
    select
        match_id,
        match_date
    from {{ ref('stg_ticketing__matches') }}
    where is_home
),

any_scans as (
    select distinct match_id from {{ ref('fct_access_scans') }}
),

match_tickets as (
    select
        match_id,
        is_valid,
        is_attended,
        coalesce(price_category, 'unknown') as price_category
    from {{ ref('int_match_tickets_expanded') }}
),

attended as (
    -- every ticket with an ok scan at the match, valid today or not, by its price category
    select
        scans.match_id,
        coalesce(tickets.price_category, 'unknown') as price_category,
        count(distinct scans.ticket_id) as attended_tickets
    from {{ ref('fct_access_scans') }} as scans
    left join {{ ref('fct_tickets') }} as tickets on scans.ticket_id = tickets.ticket_id
    where scans.is_ok
    group by scans.match_id, coalesce(tickets.price_category, 'unknown')
),

valid as (
    select
        match_id,
        price_category,
        sum(case when is_valid then 1 else 0 end) as valid_tickets,
        sum(case when is_valid and is_attended then 1 else 0 end) as attended_valid_tickets
    from match_tickets
    group by match_id, price_category
),

cells as (
    select
        match_id,
        price_category
    from valid
    union
    select
        match_id,
        price_category
    from attended
),

measured as (
    select
        cells.match_id,
        cells.price_category,
        coalesce(valid.valid_tickets, 0) as valid_tickets,
        coalesce(valid.attended_valid_tickets, 0) as attended_valid_tickets,
        coalesce(attended.attended_tickets, 0) as attended_tickets,
        (matches.match_date < as_of.as_of_date or any_scans.match_id is not null) as is_played
    from cells
    inner join matches on cells.match_id = matches.match_id
    cross join as_of
    left join any_scans on cells.match_id = any_scans.match_id
    left join valid
        on
            cells.match_id = valid.match_id
            and cells.price_category = valid.price_category
    left join attended
        on
            cells.match_id = attended.match_id
            and cells.price_category = attended.price_category
)

select
    match_id,
    price_category,
    is_played,
    cast(valid_tickets as integer) as valid_tickets,
    cast(attended_tickets as integer) as attended_tickets,
    cast(case when is_played then valid_tickets - attended_valid_tickets end as integer) as no_show_tickets,
    cast(case when is_played and valid_tickets > 0 then 1.0 * (valid_tickets - attended_valid_tickets) / valid_tickets end as double)
        as no_show_rate
from measured
