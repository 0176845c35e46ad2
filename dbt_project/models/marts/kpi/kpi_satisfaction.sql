-- Satisfaction per touchpoint and month, per touchpoint overall, per month over all
-- touchpoints, and overall: NPS, CSAT and CES with their response counts. Only the latest
-- answer per (campaign, email, survey) counts (fct_survey_responses.is_latest_answer;
-- duplicate response ids are already removed there). Definitions: _kpi__models.yml.
with responses as (
    select
        survey_type,
        score,
        coalesce(touchpoint, 'unknown') as touchpoint,
        cast({{ dbt.date_trunc('month', 'answered_date') }} as date) as month_start
    from {{ ref('fct_survey_responses') }}
    where is_latest_answer
),

-- additive counts per touchpoint and month; the other levels add them up
cells as (
    select
        touchpoint,
        month_start,
        sum(case when survey_type = 'nps' then 1 else 0 end) as nps_responses,
        sum(case when survey_type = 'nps' and score >= 9 then 1 else 0 end) as promoters,
        sum(case when survey_type = 'nps' and score between 7 and 8 then 1 else 0 end) as passives,
        sum(case when survey_type = 'nps' and score <= 6 then 1 else 0 end) as detractors,
        sum(case when survey_type = 'csat' then 1 else 0 end) as csat_responses,
        sum(case when survey_type = 'csat' and score >= 4 then 1 else 0 end) as csat_satisfied,
        sum(case when survey_type = 'ces' then 1 else 0 end) as ces_responses,
        sum(case when survey_type = 'ces' then score else 0 end) as ces_score_sum
    from responses
    group by touchpoint, month_start
),

levels as (
    select
        touchpoint,
        month_start,
        'month' as period_type,
        nps_responses,
        promoters,
        passives,
        detractors,
        csat_responses,
        csat_satisfied,
        ces_responses,
        ces_score_sum
    from cells
    union all
    select
        touchpoint,
        cast(null as date) as month_start,
        'overall' as period_type,
        sum(nps_responses) as nps_responses,
        sum(promoters) as promoters,
        sum(passives) as passives,
        sum(detractors) as detractors,
        sum(csat_responses) as csat_responses,
        sum(csat_satisfied) as csat_satisfied,
        sum(ces_responses) as ces_responses,
        sum(ces_score_sum) as ces_score_sum
    from cells
    group by touchpoint
    union all
    select
        'all' as touchpoint,
        month_start,
        'month' as period_type,
        sum(nps_responses) as nps_responses,
        sum(promoters) as promoters,
        sum(passives) as passives,
        sum(detractors) as detractors,
        sum(csat_responses) as csat_responses,
        sum(csat_satisfied) as csat_satisfied,
        sum(ces_responses) as ces_responses,
        sum(ces_score_sum) as ces_score_sum
    from cells
    group by month_start
    union all
    select
        'all' as touchpoint,
        cast(null as date) as month_start,
        'overall' as period_type,
        sum(nps_responses) as nps_responses,
        sum(promoters) as promoters,
        sum(passives) as passives,
        sum(detractors) as detractors,
        sum(csat_responses) as csat_responses,
        sum(csat_satisfied) as csat_satisfied,
        sum(ces_responses) as ces_responses,
        sum(ces_score_sum) as ces_score_sum
    from cells
),

-- a club without survey answers still gets its overall row, with zero counts (the sums
-- over no rows are null)
counted as (
    select
        touchpoint,
        period_type,
        month_start,
        coalesce(nps_responses, 0) as nps_responses,
        coalesce(promoters, 0) as promoters,
        coalesce(passives, 0) as passives,
        coalesce(detractors, 0) as detractors,
        coalesce(csat_responses, 0) as csat_responses,
        coalesce(csat_satisfied, 0) as csat_satisfied,
        coalesce(ces_responses, 0) as ces_responses,
        coalesce(ces_score_sum, 0) as ces_score_sum
    from levels
)

select
    touchpoint,
    period_type,
    month_start,
    cast(nps_responses + csat_responses + ces_responses as integer) as responses,
    cast(nps_responses as integer) as nps_responses,
    cast(promoters as integer) as promoters,
    cast(passives as integer) as passives,
    cast(detractors as integer) as detractors,
    cast(case when nps_responses > 0 then 100.0 * (promoters - detractors) / nps_responses end as double) as nps,
    cast(csat_responses as integer) as csat_responses,
    cast(csat_satisfied as integer) as csat_satisfied,
    cast(case when csat_responses > 0 then 100.0 * csat_satisfied / csat_responses end as double) as csat_pct,
    cast(ces_responses as integer) as ces_responses,
    cast(case when ces_responses > 0 then 1.0 * ces_score_sum / ces_responses end as double) as ces_mean
from counted
