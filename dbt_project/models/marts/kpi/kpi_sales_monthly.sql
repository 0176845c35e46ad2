-- Sales, repeat purchase and purchase frequency per calendar month (club time zone) and
-- channel (ticketing | shop | all), from int_sales_periods_summarized; the month holding
-- the as-of date is flagged incomplete. Definitions: models/marts/kpi/_kpi__models.yml.
with periods as (
    select * from {{ ref('int_sales_periods_summarized') }}
    where period_type = 'month'
),

as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
)

select
    periods.month_start,
    periods.channel,
    periods.orders,
    periods.buyers,
    periods.new_buyers,
    periods.returning_buyers,
    periods.gross_revenue_eur,
    periods.refunds_eur,
    periods.net_revenue_eur,
    periods.average_basket_eur,
    periods.repeat_buyers,
    periods.repeat_purchase_rate,
    periods.purchases_per_buyer,
    periods.average_days_between_purchases,
    {{ is_complete_month('periods.month_start', 'as_of.as_of_date') }} as is_complete_month
from periods
cross join as_of
