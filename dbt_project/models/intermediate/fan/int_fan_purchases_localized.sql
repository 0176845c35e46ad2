-- Every purchase of a known fan up to the as-of date (int_purchases_unioned makes the
-- cut), with its local moment (Europe/Paris weekday and hour) and its detailed channel:
-- the ticketing sales channel (web, app, box_office, partner) or shop.
with purchases as (
    select * from {{ ref('int_purchases_unioned') }}
),

ticket_orders as (
    select
        order_id,
        sales_channel
    from {{ ref('int_ticket_orders_valued') }}
),

localized as (
    select
        purchases.channel,
        purchases.purchase_id,
        purchases.fan_id,
        purchases.purchased_at,
        purchases.purchase_date,
        purchases.gross_amount_eur,
        purchases.refunded_amount_eur,
        purchases.net_amount_eur,
        purchases.is_counted,
        case
            when purchases.channel = 'shop' then 'shop'
            else coalesce(ticket_orders.sales_channel, 'unknown')
        end as sales_channel,
        {{ utc_to_local_timestamp('purchases.purchased_at') }} as purchased_at_local
    from purchases
    left join ticket_orders
        on purchases.channel = 'ticketing' and purchases.purchase_id = ticket_orders.order_id
    where purchases.fan_id is not null
)

select
    channel,
    purchase_id,
    fan_id,
    purchased_at,
    purchase_date,
    gross_amount_eur,
    refunded_amount_eur,
    net_amount_eur,
    is_counted,
    sales_channel,
    {{ iso_weekday('purchased_at_local') }} as purchase_weekday,
    cast(extract(hour from purchased_at_local) as integer) as purchase_hour
from localized
