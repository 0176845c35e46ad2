-- One row per household: identified fans sharing a street address, a mailbox or a phone
-- (int_fan_households_grouped). Clubs use it to send one mail to a family mailbox rather
-- than four, and to sell family packs.
with households as (
    select * from {{ ref('int_fan_households_grouped') }}
),

fans as (
    select
        fan_id,
        postal_code,
        is_ticketing_buyer
    from {{ ref('dim_fan') }}
),

-- tickets one member bought and another member held
tickets_together as (
    select
        buyers.household_id,
        count(*) as tickets_bought_together
    from {{ ref('fct_tickets') }} as tickets
    inner join households as buyers on tickets.fan_id = buyers.fan_id
    inner join households as holders on tickets.holder_fan_id = holders.fan_id
    where buyers.household_id = holders.household_id and tickets.fan_id <> tickets.holder_fan_id
    group by buyers.household_id
)

select
    households.household_id,
    count(*) as member_count,
    count(case when fans.is_ticketing_buyer then 1 end) as ticketing_buyer_count,
    min(fans.postal_code) as postal_code,
    {{ postal_area('min(fans.postal_code)') }} as postal_area,
    max(case when households.shares_address then 1 else 0 end) = 1 as shares_address,
    max(case when households.shares_mailbox then 1 else 0 end) = 1 as shares_mailbox,
    max(case when households.shares_phone then 1 else 0 end) = 1 as shares_phone,
    coalesce(max(tickets_together.tickets_bought_together), 0) as tickets_bought_together
from households
inner join fans on households.fan_id = fans.fan_id
left join tickets_together on households.household_id = tickets_together.household_id
group by households.household_id
