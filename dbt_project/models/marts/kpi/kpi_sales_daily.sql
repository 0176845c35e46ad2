-- Sales per business date (club local time) and channel (ticketing | shop), in EUR.
--   orders            purchases that brought revenue (is_counted)
--   buyers            distinct fans among them
--   gross_revenue_eur sum of order totals ever paid (refunded ones included)
--   refunds_eur       sum refunded, dated on the order's date
--   net_revenue_eur   gross − refunds
--   average_basket_eur net_revenue_eur / orders
--   new_buyers        buyers whose first counted purchase (any channel) is that day
--   returning_buyers  buyers − new_buyers
with purchases as (
    select * from {{ ref('int_purchases_unioned') }}
),

first_purchase as (
    select
        fan_id,
        min(purchase_date) as first_purchase_date
    from purchases
    where is_counted and fan_id is not null
    group by fan_id
),

daily as (
    select
        purchases.purchase_date as business_date,
        purchases.channel,
        sum(case when purchases.is_counted then 1 else 0 end) as orders,
        count(distinct case when purchases.is_counted then purchases.fan_id end) as buyers,
        count(distinct case
            when purchases.is_counted and first_purchase.first_purchase_date = purchases.purchase_date
                then purchases.fan_id
        end) as new_buyers,
        sum(purchases.gross_amount_eur) as gross_revenue_eur,
        sum(purchases.refunded_amount_eur) as refunds_eur,
        sum(purchases.net_amount_eur) as net_revenue_eur
    from purchases
    left join first_purchase on purchases.fan_id = first_purchase.fan_id
    group by purchases.purchase_date, purchases.channel
)

select
    business_date,
    channel,
    cast(orders as integer) as orders,
    cast(buyers as integer) as buyers,
    cast(new_buyers as integer) as new_buyers,
    cast(buyers - new_buyers as integer) as returning_buyers,
    cast(gross_revenue_eur as decimal(18, 2)) as gross_revenue_eur,
    cast(refunds_eur as decimal(18, 2)) as refunds_eur,
    cast(net_revenue_eur as decimal(18, 2)) as net_revenue_eur,
    cast(case when orders > 0 then net_revenue_eur / orders end as decimal(18, 2)) as average_basket_eur
from daily
