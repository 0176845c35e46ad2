-- Historical customer lifetime value: one row per fan with at least one counted purchase
-- up to the as-of date. Definitions: _kpi__models.yml.
with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

purchases as (
    select
        purchases.fan_id,
        purchases.channel,
        purchases.purchase_date,
        purchases.net_amount_eur,
        purchases.is_counted,
        purchases.purchase_number,
        purchases.first_purchase_season,
        as_of.as_of_date
    from {{ ref('int_purchases_sequenced') }} as purchases
    cross join as_of
    where purchases.fan_id is not null
),

per_fan as (
    select
        fan_id,
        max(as_of_date) as as_of_date,
        min(case when is_counted then purchase_date end) as first_purchase_date,
        max(case when is_counted then purchase_date end) as last_purchase_date,
        min(case when purchase_number = 1 then channel end) as first_channel,
        min(first_purchase_season) as acquisition_season,
        sum(case when is_counted then 1 else 0 end) as purchases,
        sum(case when is_counted and channel = 'ticketing' then 1 else 0 end) as ticketing_purchases,
        sum(case when is_counted and channel = 'shop' then 1 else 0 end) as shop_purchases,
        sum(case when channel = 'ticketing' then net_amount_eur else 0 end) as ticketing_net_eur,
        sum(case when channel = 'shop' then net_amount_eur else 0 end) as shop_net_eur,
        sum(net_amount_eur) as historical_net_eur
    from purchases
    group by fan_id
    having sum(case when is_counted then 1 else 0 end) > 0
),

measured as (
    select
        per_fan.*,
        {{ dbt.datediff('first_purchase_date', 'as_of_date', 'day') }} as tenure_days,
        {{ dbt.datediff('last_purchase_date', 'as_of_date', 'day') }} as days_since_last_purchase,
        cast({{ dbt.dateadd('month', -1 * var('kpi_churn_months'), 'as_of_date') }} as date) as churn_cutoff_date
    from per_fan
)

select
    measured.fan_id,
    measured.as_of_date,
    measured.first_purchase_date,
    measured.last_purchase_date,
    measured.first_channel,
    measured.acquisition_season,
    rfm.rfm_segment,
    case
        when measured.ticketing_purchases > 0 and measured.shop_purchases > 0 then 'ticketing_and_shop'
        when measured.ticketing_purchases > 0 then 'ticketing_only'
        else 'shop_only'
    end as channel_mix,
    cast(measured.purchases as integer) as purchases,
    cast(measured.ticketing_purchases as integer) as ticketing_purchases,
    cast(measured.shop_purchases as integer) as shop_purchases,
    {{ money('measured.ticketing_net_eur') }} as ticketing_net_eur,
    {{ money('measured.shop_net_eur') }} as shop_net_eur,
    {{ money('measured.historical_net_eur') }} as historical_net_eur,
    {{ money('measured.historical_net_eur / measured.purchases') }} as average_order_value_eur,
    cast(measured.tenure_days as integer) as tenure_days,
    cast(measured.days_since_last_purchase as integer) as days_since_last_purchase,
    measured.last_purchase_date <= measured.churn_cutoff_date as is_churned
from measured
left join {{ ref('fan_rfm') }} as rfm on measured.fan_id = rfm.fan_id
