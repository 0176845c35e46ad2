-- Sales, repeat purchase and purchase frequency per season (from the month
-- `season_start_month`, as the matches' season text '2025-2026') and channel
-- (ticketing | shop | all), from int_sales_periods_summarized. Definitions:
-- models/marts/kpi/_kpi__models.yml.
select
    season,
    channel,
    orders,
    buyers,
    new_buyers,
    returning_buyers,
    gross_revenue_eur,
    refunds_eur,
    net_revenue_eur,
    average_basket_eur,
    repeat_buyers,
    repeat_purchase_rate,
    purchases_per_buyer,
    average_days_between_purchases
from {{ ref('int_sales_periods_summarized') }}
where period_type = 'season'
