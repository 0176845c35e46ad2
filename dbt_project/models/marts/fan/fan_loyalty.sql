-- Loyalty points and tier per fan (every fan of dim_fan) as of the run's as-of date.
-- Points = Σ over the rules of seeds/loyalty_point_rules.csv of floor(activity of the last
-- loyalty_window_months months × points per unit) (models/intermediate/fan/
-- int_fan_loyalty_points_earned.sql); tier = the highest tier of seeds/loyalty_tiers.csv
-- whose min_points the points reach.
with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

earned as (
    select * from {{ ref('int_fan_loyalty_points_earned') }}
),

tiers as (
    select * from {{ ref('loyalty_tiers') }}
),

per_fan as (
    select
        fans.fan_id,
        coalesce(sum(case when earned.rule_code = 'euro_spent' then earned.quantity end), 0) as euros_spent,
        coalesce(sum(case when earned.rule_code = 'euro_spent' then earned.points end), 0) as euro_points,
        coalesce(sum(case when earned.rule_code = 'match_attended' then earned.quantity end), 0) as matches_attended,
        coalesce(sum(case when earned.rule_code = 'match_attended' then earned.points end), 0) as match_points,
        coalesce(sum(case when earned.rule_code = 'season_pass' then earned.quantity end), 0) as season_passes,
        coalesce(sum(case when earned.rule_code = 'season_pass' then earned.points end), 0) as season_pass_points,
        coalesce(sum(case when earned.rule_code = 'survey_answered' then earned.quantity end), 0) as surveys_answered,
        coalesce(sum(case when earned.rule_code = 'survey_answered' then earned.points end), 0) as survey_points,
        coalesce(sum(earned.points), 0) as loyalty_points
    from {{ ref('dim_fan') }} as fans
    left join earned on fans.fan_id = earned.fan_id
    group by fans.fan_id
),

tiered as (
    select
        per_fan.fan_id,
        tiers.tier,
        tiers.tier_rank,
        row_number() over (partition by per_fan.fan_id order by tiers.min_points desc) as tier_order
    from per_fan
    inner join tiers on per_fan.loyalty_points >= tiers.min_points
),

next_tiers as (
    select
        per_fan.fan_id,
        tiers.tier as next_tier,
        tiers.min_points - per_fan.loyalty_points as points_to_next_tier,
        row_number() over (partition by per_fan.fan_id order by tiers.min_points asc) as tier_order
    from per_fan
    inner join tiers on per_fan.loyalty_points < tiers.min_points
)

select
    per_fan.fan_id,
    as_of.as_of_date,
    {{ money('per_fan.euros_spent') }} as euros_spent,
    cast(per_fan.euro_points as integer) as euro_points,
    cast(per_fan.matches_attended as integer) as matches_attended,
    cast(per_fan.match_points as integer) as match_points,
    cast(per_fan.season_passes as integer) as season_passes,
    cast(per_fan.season_pass_points as integer) as season_pass_points,
    cast(per_fan.surveys_answered as integer) as surveys_answered,
    cast(per_fan.survey_points as integer) as survey_points,
    cast(per_fan.loyalty_points as integer) as loyalty_points,
    tiered.tier as loyalty_tier,
    cast(tiered.tier_rank as integer) as tier_rank,
    next_tiers.next_tier,
    cast(next_tiers.points_to_next_tier as integer) as points_to_next_tier
from per_fan
cross join as_of
left join tiered on per_fan.fan_id = tiered.fan_id and tiered.tier_order = 1
left join next_tiers on per_fan.fan_id = next_tiers.fan_id and next_tiers.tier_order = 1
