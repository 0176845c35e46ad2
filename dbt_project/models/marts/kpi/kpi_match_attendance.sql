-- Attendance per home match. Definitions: _kpi__models.yml.
with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

matches as (
    select * from {{ ref('stg_ticketing__matches') }}
    where is_home
),

match_tickets as (
    select * from {{ ref('int_match_tickets_expanded') }}
),

ok_scans as (
    select
        match_id,
        count(distinct ticket_id) as attended_tickets
    from {{ ref('fct_access_scans') }}
    where is_ok
    group by match_id
),

any_scans as (
    select distinct match_id from {{ ref('fct_access_scans') }}
),

valid as (
    select
        match_id,
        sum(case when is_valid then 1 else 0 end) as valid_tickets,
        sum(case when is_valid and product_type = 'single' then 1 else 0 end) as single_tickets,
        sum(case when is_valid and product_type = 'hospitality' then 1 else 0 end) as hospitality_tickets,
        sum(case when is_valid and product_type = 'season_pass' then 1 else 0 end) as season_pass_tickets,
        sum(case when is_valid and is_attended then 1 else 0 end) as attended_valid_tickets,
        sum(case when is_valid and is_attended and product_type = 'season_pass' then 1 else 0 end) as season_passes_used
    from match_tickets
    group by match_id
),

measured as (
    select
        matches.match_id,
        matches.match_date,
        matches.season,
        matches.competition,
        matches.opponent,
        matches.venue,
        matches.capacity,
        (matches.match_date < as_of.as_of_date or any_scans.match_id is not null) as is_played,
        coalesce(valid.valid_tickets, 0) as valid_tickets,
        coalesce(valid.single_tickets, 0) as single_tickets,
        coalesce(valid.hospitality_tickets, 0) as hospitality_tickets,
        coalesce(valid.season_pass_tickets, 0) as season_pass_tickets,
        coalesce(ok_scans.attended_tickets, 0) as attended_tickets,
        coalesce(valid.attended_valid_tickets, 0) as attended_valid_tickets,
        coalesce(valid.season_passes_used, 0) as season_passes_used
    from matches
    cross join as_of
    left join valid on matches.match_id = valid.match_id
    left join ok_scans on matches.match_id = ok_scans.match_id
    left join any_scans on matches.match_id = any_scans.match_id
)

select
    match_id,
    match_date,
    season,
    competition,
    opponent,
    venue,
    cast(capacity as integer) as capacity,
    is_played,
    cast(valid_tickets as integer) as valid_tickets,
    cast(single_tickets as integer) as single_tickets,
    cast(hospitality_tickets as integer) as hospitality_tickets,
    cast(season_pass_tickets as integer) as season_pass_tickets,
    cast(attended_tickets as integer) as attended_tickets,
    cast(case when is_played then valid_tickets - attended_valid_tickets end as integer) as no_show_tickets,
    cast(case when is_played and valid_tickets > 0 then 1.0 * (valid_tickets - attended_valid_tickets) / valid_tickets end as double)
        as no_show_rate,
    cast(case when is_played and capacity > 0 then 1.0 * attended_tickets / capacity end as double) as fill_rate,
    cast(case when is_played then season_passes_used end as integer) as season_passes_used,
    cast(case when is_played and season_pass_tickets > 0 then 1.0 * season_passes_used / season_pass_tickets end as double)
        as season_pass_usage_rate
from measured
