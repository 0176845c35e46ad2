-- The figures at the top of the KPI report, one row per figure, each read from the KPI
-- mart that defines it (no figure is computed in the report's code). A figure with no
-- data yet (no survey answer, no match played) keeps its row with a NULL value.
--   figure_value     the figure, in figure_unit (eur, fans, rate 0-1, score)
--   sample_size      what it is computed on (answers, matches, campaigns, fans)
--   share_of_sample  figure_value as a share of sample_size, where that means something
--   comparison_value the figure it is read against (last season to the same day, the
--                    month before)
{%- set recent_matches = var('report_recent_matches') %}
{%- set recent_campaigns = var('report_recent_campaigns') %}
with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

season_to_date as (
    select
        current_season.season,
        current_season.net_revenue_eur,
        current_season.buyers,
        last_season.season as last_season,
        last_season.cut_off_date as last_season_cut_off_date,
        last_season.net_revenue_eur as last_season_net_revenue_eur,
        last_season.buyers as last_season_buyers
    from {{ ref('kpi_sales_season_to_date') }} as current_season
    inner join {{ ref('kpi_sales_season_to_date') }} as last_season
        on current_season.channel = last_season.channel and not last_season.is_current_season
    where current_season.is_current_season and current_season.channel = 'all'
),

months as (
    select
        month_start,
        net_revenue_eur,
        is_complete_month,
        row_number() over (order by month_start desc) as months_back
    from {{ ref('kpi_sales_monthly') }}
    where channel = 'all'
),

-- one row, sales or not (an aggregate without GROUP BY)
latest_month as (
    select
        max(case when months_back = 1 then month_start end) as month_start,
        max(case when months_back = 1 then net_revenue_eur end) as net_revenue_eur,
        max(case when months_back = 1 then is_complete_month end) as is_complete_month,
        max(case when months_back = 2 then month_start end) as previous_month_start,
        max(case when months_back = 2 then net_revenue_eur end) as previous_net_revenue_eur
    from months
),

recent_matches as (
    select
        count(*) as matches,
        sum(valid_tickets) as valid_tickets,
        sum(coalesce(no_show_tickets, 0)) as no_show_tickets
    from (
        select
            valid_tickets,
            no_show_tickets,
            row_number() over (order by match_date desc, match_id desc) as matches_back
        from {{ ref('kpi_match_attendance') }}
        where is_played
    ) as played
    where matches_back <= {{ recent_matches }}
),

recent_campaigns as (
    select
        count(*) as campaigns,
        sum(delivered) as delivered,
        sum(opened_human) as opened_human
    from (
        select
            delivered,
            opened_human,
            row_number() over (order by sent_at desc, campaign_id desc) as campaigns_back
        from {{ ref('kpi_email_campaigns') }}
        where sent_at is not null
    ) as sent
    where campaigns_back <= {{ recent_campaigns }}
),

satisfaction as (
    select * from {{ ref('kpi_satisfaction') }}
    where period_type = 'overall' and touchpoint = 'all'
),

reach as (
    select * from {{ ref('kpi_consent_reach') }}
),

figures as (
    {%- for figure, label, column, unit in [
        ('season_net_revenue', 'Net revenue, season to date', 'net_revenue_eur', 'eur'),
        ('season_buyers', 'Buyers, season to date', 'buyers', 'fans'),
    ] %}
        select
            {{ loop.index }} as figure_order,
            '{{ figure }}' as figure,
            '{{ label }}' as figure_label,
            cast(season_to_date.{{ column }} as double) as figure_value,
            '{{ unit }}' as figure_unit,
            {{ dbt.concat(["'season '", 'season_to_date.season', "' to date'"]) }} as basis,
            cast(null as integer) as sample_size,
            cast(null as {{ dbt.type_string() }}) as sample_label,
            cast(null as double) as share_of_sample,
            cast(season_to_date.last_season_{{ column }} as double) as comparison_value,
            {{ dbt.concat(['season_to_date.last_season', "' to '", 'cast(season_to_date.last_season_cut_off_date as ' ~ dbt.type_string() ~ ')']) }}
                as comparison_basis
        from season_to_date
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
    union all
    select
        3 as figure_order,
        'month_net_revenue' as figure,
        'Net revenue, latest month' as figure_label,
        cast(latest_month.net_revenue_eur as double) as figure_value,
        'eur' as figure_unit,
        coalesce({{ dbt.concat([
            'substring(cast(latest_month.month_start as ' ~ dbt.type_string() ~ '), 1, 7)',
            "case when latest_month.is_complete_month then '' else ', to date' end"
        ]) }}, 'no sale yet') as basis,
        cast(null as integer) as sample_size,
        cast(null as {{ dbt.type_string() }}) as sample_label,
        cast(null as double) as share_of_sample,
        cast(latest_month.previous_net_revenue_eur as double) as comparison_value,
        substring(cast(latest_month.previous_month_start as {{ dbt.type_string() }}), 1, 7) as comparison_basis
    from latest_month
    union all
    select
        4 as figure_order,
        'no_show_rate' as figure,
        'No-show rate' as figure_label,
        cast(case when valid_tickets > 0 then 1.0 * no_show_tickets / valid_tickets end as double) as figure_value,
        'rate' as figure_unit,
        'last {{ recent_matches }} home matches played' as basis,
        cast(matches as integer) as sample_size,
        'home matches' as sample_label,
        cast(null as double) as share_of_sample,
        cast(null as double) as comparison_value,
        cast(null as {{ dbt.type_string() }}) as comparison_basis
    from recent_matches
    {#- kpi_satisfaction's csat_pct is a percentage: the headline's rates are 0-1 #}
    {%- for figure, label, column, responses, unit, divisor in [
        ('nps', 'NPS', 'nps', 'nps_responses', 'score', '1.0'),
        ('csat', 'CSAT (share satisfied)', 'csat_pct', 'csat_responses', 'rate', '100.0'),
        ('ces', 'CES (1 = least effort)', 'ces_mean', 'ces_responses', 'score', '1.0'),
    ] %}
        union all
        select
            {{ 4 + loop.index }} as figure_order,
            '{{ figure }}' as figure,
            '{{ label }}' as figure_label,
            -- max() over the single overall row: one row, answers or not
            cast(max(satisfaction.{{ column }}) / {{ divisor }} as double) as figure_value,
            '{{ unit }}' as figure_unit,
            'every answer to date' as basis,
            cast(coalesce(max(satisfaction.{{ responses }}), 0) as integer) as sample_size,
            'answers' as sample_label,
            cast(null as double) as share_of_sample,
            cast(null as double) as comparison_value,
            cast(null as {{ dbt.type_string() }}) as comparison_basis
        from satisfaction
    {%- endfor %}
    union all
    select
        8 as figure_order,
        'email_open_rate' as figure,
        'Email open rate (human opens)' as figure_label,
        cast(case when delivered > 0 then 1.0 * opened_human / delivered end as double) as figure_value,
        'rate' as figure_unit,
        'last {{ recent_campaigns }} campaigns sent' as basis,
        cast(campaigns as integer) as sample_size,
        'campaigns' as sample_label,
        cast(null as double) as share_of_sample,
        cast(null as double) as comparison_value,
        cast(null as {{ dbt.type_string() }}) as comparison_basis
    from recent_campaigns
    {%- for metric, label in [
        ('reachable_by_email', 'Fans reachable by email'),
        ('multichannel', 'Fans active in 2+ channels'),
    ] %}
        union all
        select
            {{ 8 + loop.index }} as figure_order,
            '{{ metric }}' as figure,
            '{{ label }}' as figure_label,
            cast(max(reach.fans) as double) as figure_value,
            'fans' as figure_unit,
            'as of the run' as basis,
            cast(max(reach.base_fans) as integer) as sample_size,
            'fans' as sample_label,
            cast(max(reach.rate) as double) as share_of_sample,
            cast(null as double) as comparison_value,
            cast(null as {{ dbt.type_string() }}) as comparison_basis
        from reach
        where reach.metric = '{{ metric }}'
    {%- endfor %}
)

select
    cast(figures.figure_order as integer) as figure_order,
    figures.figure,
    figures.figure_label,
    figures.figure_value,
    figures.figure_unit,
    figures.basis,
    figures.sample_size,
    figures.sample_label,
    figures.share_of_sample,
    figures.comparison_value,
    figures.comparison_basis,
    as_of.as_of_date
from figures
cross join as_of
