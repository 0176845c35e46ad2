-- Loyalty points: one row per fan and rule of seeds/loyalty_point_rules.csv with the
-- activity of the last loyalty_window_months months up to the as-of date (a rolling
-- window: points expire) and the points it earns, floor(quantity × points_per_unit).
--   euro_spent       net EUR of the fan's counted purchases (ticketing and shop), buyer;
--   match_attended   distinct matches with an accepted scan of a ticket the fan holds;
--   season_pass      valid season passes the fan holds, by purchase date;
--   survey_answered  the fan's survey answers that count (latest per campaign and survey).
with as_of as (
    select
        as_of_date,
        {{ dbt.dateadd('month', -1 * var('loyalty_window_months'), 'as_of_date') }} as window_start
    from {{ ref('int_run_as_of_resolved') }}
),

spent as (
    select
        purchases.fan_id,
        'euro_spent' as rule_code,
        sum(purchases.net_amount_eur) as quantity
    from {{ ref('int_fan_purchases_localized') }} as purchases
    cross join as_of
    where
        purchases.is_counted
        and purchases.purchase_date > as_of.window_start
        and purchases.purchase_date <= as_of.as_of_date
    group by purchases.fan_id
),

attended as (
    select
        matches.fan_id,
        'match_attended' as rule_code,
        count(*) as quantity
    from {{ ref('int_fan_matches_attended') }} as matches
    cross join as_of
    where
        matches.attended_on > as_of.window_start
        and matches.attended_on <= as_of.as_of_date
    group by matches.fan_id
),

season_passes as (
    select
        passes.fan_id,
        'season_pass' as rule_code,
        count(*) as quantity
    from {{ ref('int_fan_season_passes_held') }} as passes
    cross join as_of
    where
        passes.bought_on > as_of.window_start
        and passes.bought_on <= as_of.as_of_date
    group by passes.fan_id
),

surveys as (
    select
        responses.fan_id,
        'survey_answered' as rule_code,
        count(*) as quantity
    from {{ ref('fct_survey_responses') }} as responses
    cross join as_of
    where
        responses.is_latest_answer
        and responses.fan_id is not null
        and responses.answered_date > as_of.window_start
        and responses.answered_date <= as_of.as_of_date
    group by responses.fan_id
),

activity as (
    select
        fan_id,
        rule_code,
        cast(quantity as decimal(18, 2)) as quantity
    from spent
    union all
    select
        fan_id,
        rule_code,
        cast(quantity as decimal(18, 2)) as quantity
    from attended
    union all
    select
        fan_id,
        rule_code,
        cast(quantity as decimal(18, 2)) as quantity
    from season_passes
    union all
    select
        fan_id,
        rule_code,
        cast(quantity as decimal(18, 2)) as quantity
    from surveys
)

select
    activity.fan_id,
    activity.rule_code,
    activity.quantity,
    rules.points_per_unit,
    cast(floor(activity.quantity * rules.points_per_unit) as integer) as points
from activity
inner join {{ ref('loyalty_point_rules') }} as rules on activity.rule_code = rules.rule_code
