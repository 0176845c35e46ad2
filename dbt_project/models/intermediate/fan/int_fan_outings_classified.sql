-- How fans come to the stadium: one row per ticketing order (an outing) and fan taking
-- part in it, up to the as-of date. Only valid tickets of paid orders count.
--   group_size   the most valid tickets the order holds for one match (for a season
--                pass order: for one season);
--   company      alone   one ticket;
--                family  several, and a child ticket (price category enfant) or a relative
--                        named on a ticket: a holder who shares a family name with the
--                        buyer (last name to last name, or across a swapped first / last
--                        name; similarity >= family_name_similarity) without being the
--                        buyer (same words of the name). Names as written on the order
--                        (the buyer's golden record fills a missing one) and the ticket:
--                        this does not depend on linking holders to fans;
--                others  several, with no sign of family (friends, colleagues, or holders
--                        left unnamed).
-- The fans taking part are the attendees of its tickets (named holder, else the buyer).
with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

orders as (
    select
        orders.order_id,
        orders.fan_id as buyer_fan_id,
        orders.order_date
    from {{ ref('fct_ticket_orders') }} as orders
    cross join as_of
    where orders.order_date <= as_of.as_of_date
),

buyer_names as (
    select
        orders.order_id,
        {{ standardize_name('coalesce(source_orders.first_name, fans.first_name)') }} as first_name_std,
        {{ standardize_name('coalesce(source_orders.last_name, fans.last_name)') }} as last_name_std
    from orders
    left join {{ ref('stg_ticketing__orders') }} as source_orders on orders.order_id = source_orders.order_id
    left join {{ ref('dim_fan') }} as fans on orders.buyer_fan_id = fans.fan_id
),

holder_names as (
    select
        ticket_id,
        {{ standardize_name('holder_first_name') }} as first_name_std,
        {{ standardize_name('holder_last_name') }} as last_name_std
    from {{ ref('stg_ticketing__tickets') }}
),

tickets as (
    select tickets.*
    from {{ ref('fct_tickets') }} as tickets
    inner join orders on tickets.order_id = orders.order_id
    where tickets.is_valid
),

per_match as (
    select
        order_id,
        count(*) as tickets_for_match
    from tickets
    group by order_id, coalesce(match_id, {{ dbt.concat(["'season '", 'season']) }})
),

group_sizes as (
    select
        order_id,
        max(tickets_for_match) as group_size
    from per_match
    group by order_id
),

named_holders as (
    select
        tickets.order_id,
        tickets.ticket_id,
        {{ name_similarity('holder_names.last_name_std', 'buyer_names.last_name_std') }} as last_to_last,
        {{ name_similarity('holder_names.first_name_std', 'buyer_names.last_name_std') }} as first_to_last,
        {{ name_similarity('holder_names.last_name_std', 'buyer_names.first_name_std') }} as last_to_first,
        {{ name_similarity(
            sorted_words(dbt.concat(['holder_names.first_name_std', "' '", 'holder_names.last_name_std'])),
            sorted_words(dbt.concat(['buyer_names.first_name_std', "' '", 'buyer_names.last_name_std']))
        ) }} as whole_name
    from tickets
    inner join holder_names on tickets.ticket_id = holder_names.ticket_id
    inner join buyer_names on tickets.order_id = buyer_names.order_id
    where
        holder_names.first_name_std is not null
        and holder_names.last_name_std is not null
        and buyer_names.first_name_std is not null
        and buyer_names.last_name_std is not null
),

relatives as (
    select distinct order_id
    from named_holders
    where
        whole_name < {{ var('family_name_similarity') }}
        and greatest(last_to_last, first_to_last, last_to_first) >= {{ var('family_name_similarity') }}
),

children as (
    select distinct order_id
    from tickets
    where price_category = 'enfant'
),

classified as (
    select
        orders.order_id,
        orders.buyer_fan_id,
        orders.order_date,
        group_sizes.group_size,
        children.order_id is not null as has_child_ticket,
        relatives.order_id is not null as has_relative_holder
    from orders
    inner join group_sizes on orders.order_id = group_sizes.order_id
    left join children on orders.order_id = children.order_id
    left join relatives on orders.order_id = relatives.order_id
),

participants as (
    select distinct
        order_id,
        attendee_fan_id as fan_id
    from tickets
    where attendee_fan_id is not null
)

select
    participants.fan_id,
    classified.order_id,
    classified.buyer_fan_id,
    classified.order_date,
    classified.has_child_ticket,
    classified.has_relative_holder,
    cast(classified.group_size as integer) as group_size,
    case
        when classified.group_size = 1 then 'alone'
        when classified.has_child_ticket or classified.has_relative_holder then 'family'
        else 'others'
    end as company,
    coalesce(participants.fan_id = classified.buyer_fan_id, false) as is_buyer
from participants
inner join classified on participants.order_id = classified.order_id
