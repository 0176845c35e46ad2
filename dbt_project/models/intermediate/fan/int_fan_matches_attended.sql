-- One row per fan and match the fan attended up to the as-of date: at least one accepted
-- gate scan of a ticket the fan holds (the attendee: the named holder, else the buyer).
with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

scans as (
    select * from {{ ref('fct_access_scans') }}
),

matches as (
    select * from {{ ref('stg_ticketing__matches') }}
)

select
    scans.fan_id,
    scans.match_id,
    max(matches.season) as season,
    max(matches.match_date) as match_date,
    coalesce(max(case when matches.is_home then 1 else 0 end), 0) = 1 as is_home,
    min(scans.scan_date) as attended_on,
    max(case when scans.product_type = 'season_pass' then 1 else 0 end) = 1 as is_with_season_pass
from scans
cross join as_of
left join matches on scans.match_id = matches.match_id
where
    scans.is_ok
    and scans.fan_id is not null
    and scans.match_id is not null
    and scans.scan_date <= as_of.as_of_date
group by scans.fan_id, scans.match_id
