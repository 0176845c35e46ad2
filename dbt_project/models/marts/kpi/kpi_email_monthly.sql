-- Email engagement per month of send: the campaigns of kpi_email_campaigns added up, so a
-- month's rates weigh each recipient once (not an average of campaign rates).
with campaigns as (
    select * from {{ ref('kpi_email_campaigns') }}
    where sent_date is not null
),

as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

monthly as (
    select
        cast({{ dbt.date_trunc('month', 'sent_date') }} as date) as month_start,
        count(*) as campaigns,
        sum(delivered) as delivered,
        sum(opened_human) as opened_human,
        sum(clicked) as clicked,
        sum(unsubscribed) as unsubscribed,
        sum(attributed_revenue_eur) as attributed_revenue_eur
    from campaigns
    group by cast({{ dbt.date_trunc('month', 'sent_date') }} as date)
)

select
    monthly.month_start,
    cast(monthly.campaigns as integer) as campaigns,
    cast(monthly.delivered as integer) as delivered,
    cast(monthly.opened_human as integer) as opened_human,
    cast(monthly.clicked as integer) as clicked,
    cast(monthly.unsubscribed as integer) as unsubscribed,
    cast(case when monthly.delivered > 0 then 1.0 * monthly.opened_human / monthly.delivered end as double)
        as open_rate,
    cast(case when monthly.delivered > 0 then 1.0 * monthly.clicked / monthly.delivered end as double)
        as click_rate,
    cast(case when monthly.opened_human > 0 then 1.0 * monthly.clicked / monthly.opened_human end as double)
        as click_to_open_rate,
    cast(case when monthly.delivered > 0 then 1.0 * monthly.unsubscribed / monthly.delivered end as double)
        as unsubscribe_rate,
    {{ money('monthly.attributed_revenue_eur') }} as attributed_revenue_eur,
    {{ is_complete_month('monthly.month_start', 'as_of.as_of_date') }} as is_complete_month
from monthly
cross join as_of
