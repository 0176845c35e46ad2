-- One row per valid season pass (valid ticket of a paid order) bought up to the as-of
-- date, with the fan who holds it: the named holder, else the buyer.
with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

tickets as (
    select * from {{ ref('fct_tickets') }}
),

orders as (
    select
        order_id,
        order_date
    from {{ ref('fct_ticket_orders') }}
)

select
    tickets.ticket_id,
    tickets.order_id,
    tickets.attendee_fan_id as fan_id,
    tickets.fan_id as buyer_fan_id,
    tickets.season,
    tickets.price_category,
    tickets.price,
    orders.order_date as bought_on
from tickets
inner join orders on tickets.order_id = orders.order_id
cross join as_of
where
    tickets.product_type = 'season_pass'
    and tickets.is_valid
    and tickets.attendee_fan_id is not null
    and tickets.season is not null
    and orders.order_date <= as_of.as_of_date
