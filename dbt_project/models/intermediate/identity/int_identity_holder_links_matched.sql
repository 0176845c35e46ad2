-- Links of ticket holders found in the buyer's world, never by a name alone across the
-- whole base. A ticket's buyer world is what its order's record carries: the ticketing
-- account, the mailbox, the phone and the street address (+ postal code). A holder links
--   holder_in_buyer_world  to a non-holder profile sharing one of those keys whose name is
--                          the holder's (same words in any order, or same surname and a
--                          nickname of the first name): the buyer, a partner on the family
--                          mailbox, a child with their own shop account at the address.
--                          (The postal code alone was tried: namesakes in a town cost more
--                          precision than it gained recall);
--   holder_recurring       to the first holder of the same name on orders sharing one of
--                          those keys: one person the buyer brings match after match.
-- A holder with an email of their own also links through the probabilistic links.
with standardized as (
    select * from {{ ref('int_identity_records_standardized') }}
),

nicknames as (
    select * from {{ ref('int_identity_nickname_pairs') }}
),

holders as (
    select
        profile_id,
        first_name_std,
        last_name_std,
        name_sorted,
        order_id
    from standardized
    -- a surname alone names any member of a family
    where
        record_type = 'ticket_holder'
        and first_name_std is not null
        and last_name_std is not null
),

{%- set world_keys = {
    'account': 'account_id',
    'mailbox': 'email_mailbox',
    'phone': 'phone_e164',
    'address': dbt.concat(['address_std', "'|'", 'postal_code_std']),
} %}

-- the keys of each order's buyer
buyer_keys as (
    {%- for key, expression in world_keys.items() %}
        select
            order_id,
            '{{ key }}' as key_name,
            {{ expression }} as key_value
        from standardized
        where record_type = 'ticketing_order' and {{ expression }} is not null
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- the same keys on every profile that is not a holder
profile_keys as (
    {%- for key, expression in world_keys.items() %}
        select distinct
            profile_id,
            first_name_std,
            last_name_std,
            name_sorted,
            '{{ key }}' as key_name,
            {{ expression }} as key_value
        from standardized
        where
            record_type <> 'ticket_holder'
            and {{ expression }} is not null
            and first_name_std is not null
            and last_name_std is not null
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

holders_in_world as (
    select
        holders.*,
        buyer_keys.key_name,
        buyer_keys.key_value
    from holders
    inner join buyer_keys on holders.order_id = buyer_keys.order_id
),

-- joined on the key and a name together: on the key alone, a family mailbox or a block of
-- flats pairs every holder with every profile there before the names are compared.
-- The name: the same words in any order, or the same surname and first name or nickname.
{%- set name_matches = {
    'name_sorted': none,
    'last_name_std': '(holders_in_world.first_name_std = profile_keys.first_name_std or nicknames.name_a is not null)',
} %}
world_matches as (
    {%- for name_column, first_name_match in name_matches.items() %}
        select
            holders_in_world.profile_id as profile_id_a,
            profile_keys.profile_id as profile_id_b,
            'holder_in_buyer_world' as link_rule,
            {{ dbt.concat([
                "'ticket holder named like a person sharing the buyer''s '",
                'holders_in_world.key_name', "' (order '", 'holders_in_world.order_id', "')'"
            ]) }} as evidence
        from holders_in_world
        inner join profile_keys
            on
                holders_in_world.key_name = profile_keys.key_name
                and holders_in_world.key_value = profile_keys.key_value
                and holders_in_world.{{ name_column }} = profile_keys.{{ name_column }}
        {%- if first_name_match %}
            -- the nickname pairs only where a first name is compared: joined for every pair
            -- of the same words, they cost a fifth of this model's time at 1M fans
            left join nicknames
                on holders_in_world.first_name_std = nicknames.name_a and profile_keys.first_name_std = nicknames.name_b
        {%- endif %}
        where
            holders_in_world.profile_id <> profile_keys.profile_id
            and {{ first_name_match or 'true' }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

-- the first holder (smallest profile) of each name in each buyer world
recurring as (
    select
        profile_id,
        order_id,
        key_name,
        min(profile_id) over (partition by key_name, key_value, name_sorted) as first_profile_id
    from holders_in_world
),

recurring_matches as (
    select
        profile_id as profile_id_a,
        first_profile_id as profile_id_b,
        'holder_recurring' as link_rule,
        {{ dbt.concat(["'same holder name on orders sharing the buyer''s '", 'key_name']) }} as evidence
    from recurring
    where profile_id <> first_profile_id
),

matches as (
    select * from world_matches
    union all
    select * from recurring_matches
)

-- one link per pair and rule, quoting the first of its orders and keys: a holder met at
-- twenty matches is one link, not twenty (the clustering applies and explains a pair's
-- links in evidence order, so it quotes that first one either way)
select
    profile_id_a,
    profile_id_b,
    link_rule,
    min(evidence) as evidence
from matches
group by profile_id_a, profile_id_b, link_rule
