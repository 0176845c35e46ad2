-- One row per distinct standardised identity (profile), with how many records carry it,
-- and whether its mailbox, phone and street address are a household's: records on it
-- carry two first names that cannot be one person's (not equal, not an initial or a
-- shortened form, not nicknames, not a typo apart, not one name typed in the other order:
-- "Denis Florian" on one order is Florian Denis), or one name's masculine and feminine
-- forms (Jean / Jeanne: a couple, a parent and child). Ticket holders do not count: a buyer
-- types the names of the people they bring. A key with more first names than
-- identity_max_block_size is anyone's (a club's generic mailbox): a household's too.
-- is_holder_only: every record of the profile is a ticket holder (its email, when it has
-- one, is often the buyer's). profile_key: the integer candidate pairs carry (blocking
-- 46.9M pairs at 1M fans took 122 s on the 32-character ids, 46 s on keys), taken from the
-- id (hex_id_key), so it follows the ids' order and a profile keeps it from night to night.
-- What a profile says of its names
-- is computed here once, not once per candidate pair.
{%- set household_keys = {'email': 'email_mailbox', 'phone': 'phone_e164', 'address': 'address_std'} %}
{%- set columns = identity_pair_columns() | reject('in', ['email_is_household', 'phone_is_household', 'address_is_household', 'is_holder_only']) | list %}
with records as (
    select * from {{ ref('int_identity_records_standardized') }}
),

profiles as (
    select
        profile_id,
        {%- for column in (columns + ['birth_date']) | unique %}
            min({{ column }}) as {{ column }},
        {%- endfor %}
        min(case when record_type = 'ticket_holder' then 1 else 0 end) = 1 as is_holder_only,
        count(*) as record_count
    from records
    group by profile_id
),

nicknames as (
    select * from {{ ref('int_identity_nickname_pairs') }}
),

gendered as (
    select * from {{ ref('int_identity_gendered_name_pairs') }}
),

{% for key, column in household_keys.items() %}
    {{ key }}_first_names as (
        select distinct
            {{ column }} as key_value,
            first_name_std,
            last_name_std
        from records
        where {{ column }} is not null and first_name_std is not null and record_type <> 'ticket_holder'
    ),

    {{ key }}_name_counts as (
        select
            key_value,
            count(distinct first_name_std) as first_name_count
        from {{ key }}_first_names
        group by key_value
    ),

    {{ key }}_households as (
        select key_value
        from {{ key }}_name_counts
        where first_name_count > {{ var('identity_max_block_size') }}
        union
        select a.key_value
        from {{ key }}_first_names as a
        inner join {{ key }}_name_counts as sizes
            on a.key_value = sizes.key_value and sizes.first_name_count <= {{ var('identity_max_block_size') }}
        inner join {{ key }}_first_names as b
            on a.key_value = b.key_value and a.first_name_std < b.first_name_std
        left join nicknames on a.first_name_std = nicknames.name_a and b.first_name_std = nicknames.name_b
        left join gendered on a.first_name_std = gendered.name_a and b.first_name_std = gendered.name_b
        where
            nicknames.name_a is null
            and (gendered.name_a is not null or (
                {{ dbt.position('a.first_name_std', 'b.first_name_std') }} <> 1
                and {{ dbt.position('b.first_name_std', 'a.first_name_std') }} <> 1
                and {{ name_similarity('a.first_name_std', 'b.first_name_std') }} < {{ var('identity_name_similarity_strong') }}
            ))
            and not (a.first_name_std = b.last_name_std or b.first_name_std = a.last_name_std)
        group by a.key_value
    ),
{% endfor %}

named as (
    select
        {% for key in household_keys -%}
            {{ key }}_households.key_value is not null as {{ key }}_is_household,
        {% endfor -%}
        profiles.*,
        {{ hex_id_key('profiles.profile_id') }} as profile_key,
        {{ local_part_is_name('profiles.email_local', 'profiles.first_name_std', 'profiles.last_name_std') }}
            as email_local_is_name,
        {{ local_part_is_name('profiles.email_local', 'profiles.last_name_std', 'profiles.first_name_std') }}
            as email_local_is_name_swapped,
        {{ name_spells_mailbox('profiles.email_letters', 'profiles.first_name_std', 'profiles.last_name_std') }}
            as name_spells_mailbox
    from profiles
    {% for key, column in household_keys.items() -%}
        left join {{ key }}_households on profiles.{{ column }} = {{ key }}_households.key_value
    {% endfor -%}
),

-- profile_fingerprint: a hash of every column a pair comparison reads (identity_pair_sides;
-- the blocking keys read some of them), so a night compares again only the pairs of the
-- profiles whose fingerprint changed (int_identity_profiles_changed)
final as (
    select
        *,
        {{ hex_id_key(values_fingerprint(identity_pair_columns()
            + ['email_local_is_name', 'email_local_is_name_swapped', 'name_spells_mailbox'])) }}
            as profile_fingerprint
    from named
)

select * from final
