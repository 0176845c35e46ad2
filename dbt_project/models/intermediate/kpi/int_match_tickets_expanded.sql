-- The tickets that admit to each home match, one row per (match, ticket): single and
-- hospitality tickets of the match, and every season pass of the match's season (a pass
-- is scanned at each home match of its season). is_valid is the ticket's current state
-- (ticket valid and order paid); is_attended: at least one `ok` scan of that ticket at
-- that match.
with matches as (
    select
        match_id,
        season
    from {{ ref('stg_ticketing__matches') }}
    where is_home
),

tickets as (
    select
        ticket_id,
        match_id,
        season,
        product_type,
        price_category,
        is_valid
    from {{ ref('fct_tickets') }}
),

ok_scans as (
    select distinct
        ticket_id,
        match_id
    from {{ ref('fct_access_scans') }}
    where is_ok
),

expanded as (
    select
        matches.match_id,
        tickets.ticket_id,
        tickets.product_type,
        tickets.price_category,
        tickets.is_valid
    from matches
    inner join tickets on matches.match_id = tickets.match_id
    where tickets.product_type <> 'season_pass'
    union all
    select
        matches.match_id,
        tickets.ticket_id,
        tickets.product_type,
        tickets.price_category,
        tickets.is_valid
    from matches
    inner join tickets on matches.season = tickets.season
    where tickets.product_type = 'season_pass'
)

select
    expanded.match_id,
    expanded.ticket_id,
    expanded.product_type,
    expanded.price_category,
    coalesce(expanded.is_valid, false) as is_valid,
    ok_scans.ticket_id is not null as is_attended
from expanded
left join ok_scans
    on
        expanded.match_id = ok_scans.match_id
        and expanded.ticket_id = ok_scans.ticket_id
