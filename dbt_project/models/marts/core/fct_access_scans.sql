-- One row per gate scan; fan_id is the ticket's attendee (holder when named, else buyer).
with scans as (
    select * from {{ ref('stg_ticketing__access_scans') }}
),

tickets as (
    select
        ticket_id,
        attendee_fan_id,
        product_type
    from {{ ref('fct_tickets') }}
)

select
    scans.scan_id,
    scans.ticket_id,
    scans.match_id,
    tickets.attendee_fan_id as fan_id,
    tickets.product_type,
    scans.gate,
    scans.scanned_at,
    {{ utc_to_local_date('scans.scanned_at') }} as scan_date,
    scans.result,
    scans.result = 'ok' as is_ok
from scans
left join tickets on scans.ticket_id = tickets.ticket_id
