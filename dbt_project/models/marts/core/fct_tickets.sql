-- One row per ticket. The buyer (fan_id) may differ from the holder who comes to the
-- stadium; attendee_fan_id is the holder when named, else the buyer.
with tickets as (
    select * from {{ ref('stg_ticketing__tickets') }}
),

holders as (
    select
        record_id,
        fan_id
    from {{ ref('int_identity_records_clustered') }}
    where record_type = 'ticket_holder'
),

orders as (
    select
        order_id,
        fan_id,
        status
    from {{ ref('int_ticket_orders_valued') }}
)

select
    tickets.ticket_id,
    tickets.order_id,
    orders.fan_id,
    holders.fan_id as holder_fan_id,
    tickets.match_id,
    tickets.season,
    tickets.product_type,
    tickets.price_category,
    tickets.section,
    tickets.seat_row,
    tickets.seat,
    tickets.price,
    tickets.status,
    orders.status as order_status,
    coalesce(holders.fan_id, orders.fan_id) as attendee_fan_id,
    tickets.status = 'valid' and orders.status = 'paid' as is_valid
from tickets
left join orders on tickets.order_id = orders.order_id
left join holders on tickets.ticket_id = holders.record_id
