-- Every purchase (int_purchases_unioned) with its month and season, and its place in the
-- fan's purchase history. Only purchases that count (is_counted) and have a fan are
-- sequenced; the others keep NULL sequence columns but carry their amounts, so gross and
-- refunds add up like kpi_sales_daily.
--   first_purchase_*       the fan's first counted purchase, any channel
--   purchase_number        1 = the fan's first counted purchase, any channel
--   previous_purchase_date the fan's previous counted purchase, any channel
--   channel_purchase_*     the same within the purchase's channel
with purchases as (
    select
        channel,
        purchase_id,
        fan_id,
        purchased_at,
        purchase_date,
        cast({{ dbt.date_trunc('month', 'purchase_date') }} as date) as purchase_month,
        {{ season_of('purchase_date') }} as purchase_season,
        gross_amount_eur,
        refunded_amount_eur,
        net_amount_eur,
        is_counted
    from {{ ref('int_purchases_unioned') }}
),

sequenced as (
    select
        channel,
        purchase_id,
        row_number() over (
            partition by fan_id order by purchased_at, purchase_date, channel, purchase_id
        ) as purchase_number,
        lag(purchase_date) over (
            partition by fan_id order by purchased_at, purchase_date, channel, purchase_id
        ) as previous_purchase_date,
        row_number() over (
            partition by fan_id, channel order by purchased_at, purchase_date, purchase_id
        ) as channel_purchase_number,
        lag(purchase_date) over (
            partition by fan_id, channel order by purchased_at, purchase_date, purchase_id
        ) as previous_channel_purchase_date
    from purchases
    where is_counted and fan_id is not null
),

first_purchases as (
    select
        fan_id,
        min(purchase_date) as first_purchase_date
    from purchases
    where is_counted and fan_id is not null
    group by fan_id
)

select
    purchases.channel,
    purchases.purchase_id,
    purchases.fan_id,
    purchases.purchased_at,
    purchases.purchase_date,
    purchases.purchase_month,
    purchases.purchase_season,
    purchases.gross_amount_eur,
    purchases.refunded_amount_eur,
    purchases.net_amount_eur,
    purchases.is_counted,
    first_purchases.first_purchase_date,
    cast({{ dbt.date_trunc('month', 'first_purchases.first_purchase_date') }} as date) as first_purchase_month,
    case
        when first_purchases.first_purchase_date is not null then {{ season_of('first_purchases.first_purchase_date') }}
    end as first_purchase_season,
    sequenced.purchase_number,
    sequenced.previous_purchase_date,
    cast(
        {{ dbt.datediff('sequenced.previous_purchase_date', 'purchases.purchase_date', 'day') }}
        as integer
    ) as days_since_previous_purchase,
    sequenced.channel_purchase_number,
    sequenced.previous_channel_purchase_date,
    cast(
        {{ dbt.datediff('sequenced.previous_channel_purchase_date', 'purchases.purchase_date', 'day') }}
        as integer
    ) as days_since_previous_channel_purchase
from purchases
left join sequenced
    on
        purchases.channel = sequenced.channel
        and purchases.purchase_id = sequenced.purchase_id
left join first_purchases on purchases.fan_id = first_purchases.fan_id
