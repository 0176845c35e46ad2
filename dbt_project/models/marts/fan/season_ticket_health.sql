-- Season-ticket holder health: one row per fan holding a valid season pass and season,
-- as of the run's as-of date (the holder is the named holder, else the buyer).
--   attendance_rate   home matches of the season played up to the as-of date at which a
--                     pass of the fan was scanned ok / those home matches played;
--   is_renewal        the fan held a pass the previous season too;
--   churn risk        the sum of the points of each risk factor, each shown with its input:
--     low attendance       attendance_rate < churn_low_attendance_rate -> churn_points_low_attendance
--     missed recent games  the last churn_missed_home_matches home matches played all missed
--                          -> churn_points_missed_recent_matches
--     first season         not a renewal -> churn_points_first_season
--     NPS detractor        the fan's latest NPS answer is 0-6 -> churn_points_nps_detractor
--     email disengaged     the fan's email engagement is passive or dormant
--                          -> churn_points_email_disengaged
--   (NPS and email are the fan's state as of the run, the same for every season.)
--   churn_risk_level: high from churn_high_risk_score points, medium from churn_medium_risk_score.
with as_of as (
    select
        as_of_date,
        {{ season_of('as_of_date') }} as current_season
    from {{ ref('int_run_as_of_resolved') }}
),

passes as (
    select * from {{ ref('int_fan_season_passes_held') }}
),

held as (
    select
        fan_id,
        season,
        count(*) as passes_held
    from passes
    group by fan_id, season
),

matches as (
    select matches.*
    from {{ ref('stg_ticketing__matches') }} as matches
    cross join as_of
    where
        matches.is_home
        and matches.match_date <= as_of.as_of_date
),

attended as (
    select distinct
        passes.fan_id,
        passes.season,
        scans.match_id
    from passes
    inner join {{ ref('fct_access_scans') }} as scans on passes.ticket_id = scans.ticket_id
    cross join as_of
    where
        scans.is_ok
        and scans.scan_date <= as_of.as_of_date
),

home_matches as (
    -- every home match played of each season a fan held a pass for, latest first
    select
        held.fan_id,
        held.season,
        matches.match_id,
        matches.match_date,
        attended.match_id is not null as is_attended,
        row_number() over (partition by held.fan_id, held.season order by matches.match_date desc, matches.match_id desc) as recency_order
    from held
    inner join matches on held.season = matches.season
    left join attended
        on
            held.fan_id = attended.fan_id
            and held.season = attended.season
            and matches.match_id = attended.match_id
),

attendance as (
    select
        fan_id,
        season,
        count(*) as home_matches_played,
        sum(case when is_attended then 1 else 0 end) as home_matches_attended,
        max(case when is_attended then match_date end) as last_home_match_attended_on,
        -- consecutive misses, counting back from the latest home match played
        coalesce(min(case when is_attended then recency_order end) - 1, count(*)) as home_matches_missed_in_a_row
    from home_matches
    group by fan_id, season
),

profiles as (
    select
        fan_id,
        latest_nps_class,
        email_engagement_level
    from {{ ref('fan_profile') }}
),

measured as (
    select
        held.fan_id,
        held.season,
        as_of.as_of_date,
        held.passes_held,
        attendance.last_home_match_attended_on,
        profiles.latest_nps_class,
        profiles.email_engagement_level,
        held.season = as_of.current_season as is_current_season,
        coalesce(attendance.home_matches_played, 0) as home_matches_played,
        coalesce(attendance.home_matches_attended, 0) as home_matches_attended,
        1.0 * attendance.home_matches_attended / nullif(attendance.home_matches_played, 0) as attendance_rate,
        coalesce(attendance.home_matches_missed_in_a_row, 0) as home_matches_missed_in_a_row,
        held_before.fan_id is not null as is_renewal,
        case
            when held.season >= as_of.current_season then null
            else held_after.fan_id is not null
        end as renewed_next_season
    from held
    cross join as_of
    left join attendance on held.fan_id = attendance.fan_id and held.season = attendance.season
    left join held as held_before
        on held.fan_id = held_before.fan_id and {{ season_shifted('held.season', -1) }} = held_before.season
    left join held as held_after
        on held.fan_id = held_after.fan_id and {{ season_shifted('held.season', 1) }} = held_after.season
    left join profiles on held.fan_id = profiles.fan_id
),

scored as (
    select
        *,
        case
            when attendance_rate < {{ var('churn_low_attendance_rate') }} then {{ var('churn_points_low_attendance') }}
            else 0
        end as low_attendance_points,
        case
            when
                home_matches_missed_in_a_row >= {{ var('churn_missed_home_matches') }}
                then {{ var('churn_points_missed_recent_matches') }}
            else 0
        end as missed_matches_points,
        case when is_renewal then 0 else {{ var('churn_points_first_season') }} end as first_season_points,
        case when latest_nps_class = 'detractor' then {{ var('churn_points_nps_detractor') }} else 0 end as nps_detractor_points,
        case
            when email_engagement_level in ('passive', 'dormant') then {{ var('churn_points_email_disengaged') }}
            else 0
        end as email_disengaged_points
    from measured
),

totalled as (
    select
        *,
        low_attendance_points + missed_matches_points + first_season_points
        + nps_detractor_points + email_disengaged_points as churn_risk_score
    from scored
)

select
    fan_id,
    season,
    as_of_date,
    is_current_season,
    cast(passes_held as integer) as passes_held,
    cast(home_matches_played as integer) as home_matches_played,
    cast(home_matches_attended as integer) as home_matches_attended,
    cast(round(attendance_rate, 4) as decimal(5, 4)) as attendance_rate,
    last_home_match_attended_on,
    cast(home_matches_missed_in_a_row as integer) as home_matches_missed_in_a_row,
    is_renewal,
    renewed_next_season,
    cast(low_attendance_points as integer) as low_attendance_points,
    cast(missed_matches_points as integer) as missed_matches_points,
    cast(first_season_points as integer) as first_season_points,
    latest_nps_class,
    cast(nps_detractor_points as integer) as nps_detractor_points,
    email_engagement_level,
    cast(email_disengaged_points as integer) as email_disengaged_points,
    cast(churn_risk_score as integer) as churn_risk_score,
    case
        when churn_risk_score >= {{ var('churn_high_risk_score') }} then 'high'
        when churn_risk_score >= {{ var('churn_medium_risk_score') }} then 'medium'
        else 'low'
    end as churn_risk_level
from totalled
