{%- set at_risk_segments = sql_string_list(var('audience_at_risk_segments')) -%}
{%- set high_value_classes = sql_string_list(var('audience_high_value_abc_classes')) -%}
{%- set revenue_text = 'cast(abc.net_revenue_eur as ' ~ dbt.type_string() ~ ')' %}
-- Who is eligible for each activation audience as of the run's as-of date, before consent
-- (marts.fan_audiences keeps only the fans who consent on the audience's channel):
--   lapsed_season_pass_holders  held a valid season pass last season and none this season
--                               (seasons start in month season_start_month);
--   at_risk_high_value          RFM segment in audience_at_risk_segments and ABC class in
--                               audience_high_value_abc_classes;
--   new_fans_to_welcome         first counted purchase ever within the last
--                               audience_new_fan_days days.
with as_of as (
    select
        as_of_date,
        {{ season_of('as_of_date') }} as current_season,
        {{ season_of('as_of_date', years_back=1) }} as previous_season
    from {{ ref('int_run_as_of_resolved') }}
),

passes as (
    select distinct
        fan_id,
        season
    from {{ ref('int_fan_season_passes_held') }}
),

lapsed as (
    select
        'lapsed_season_pass_holders' as audience,
        previous_passes.fan_id,
        {{ dbt.concat(["'season pass held in '", 'as_of.previous_season', "', none for '", 'as_of.current_season']) }} as reason
    from passes as previous_passes
    cross join as_of
    left join passes as current_passes
        on previous_passes.fan_id = current_passes.fan_id and as_of.current_season = current_passes.season
    where
        previous_passes.season = as_of.previous_season
        and current_passes.fan_id is null
),

at_risk as (
    select
        'at_risk_high_value' as audience,
        rfm.fan_id,
        {{ dbt.concat(["'RFM segment '", 'rfm.rfm_segment', "', ABC class '", 'abc.abc_class', "', '", revenue_text, "' EUR'"]) }} as reason
    from {{ ref('fan_rfm') }} as rfm
    inner join {{ ref('fan_abc') }} as abc on rfm.fan_id = abc.fan_id
    where
        rfm.rfm_segment in ({{ at_risk_segments }})
        and abc.abc_class in ({{ high_value_classes }})
),

first_purchases as (
    select
        fan_id,
        min(purchase_date) as first_purchase_date
    from {{ ref('int_fan_purchases_localized') }}
    where is_counted
    group by fan_id
),

new_fans as (
    select
        'new_fans_to_welcome' as audience,
        first_purchases.fan_id,
        {{ dbt.concat(["'first purchase on '", 'cast(first_purchases.first_purchase_date as ' ~ dbt.type_string() ~ ')']) }} as reason
    from first_purchases
    cross join as_of
    where first_purchases.first_purchase_date > {{ dbt.dateadd('day', -1 * var('audience_new_fan_days'), 'as_of.as_of_date') }}
)

select
    audience,
    fan_id,
    reason
from lapsed
union all
select
    audience,
    fan_id,
    reason
from at_risk
union all
select
    audience,
    fan_id,
    reason
from new_fans
