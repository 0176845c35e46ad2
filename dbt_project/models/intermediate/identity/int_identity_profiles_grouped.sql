-- One row per distinct standardised identity (profile), with how many records carry it,
-- and whether its mailbox, phone and street address are a household's (profiles with
-- two or more first names use it; ticket holders do not count: a buyer types the names of
-- the people they bring).
{%- set household_keys = {'email': 'email_mailbox', 'phone': 'phone_e164', 'address': 'address_std'} %}
{%- set columns = identity_pair_columns() | reject('in', ['email_is_household', 'phone_is_household', 'address_is_household']) | list %}
with records as (
    select * from {{ ref('int_identity_records_standardized') }}
),

profiles as (
    select
        profile_id,
        {%- for column in columns + ['birth_date'] %}
            min({{ column }}) as {{ column }},
        {%- endfor %}
        count(*) as record_count
    from records
    group by profile_id
),

{% for key, column in household_keys.items() %}
    {{ key }}_first_names as (
        select
            {{ column }} as key_value,
            count(distinct first_name_std) as first_name_count
        from records
        where {{ column }} is not null and record_type <> 'ticket_holder'
        group by {{ column }}
    ),
{% endfor %}

final as (
    select
        {% for key in household_keys -%}
            coalesce({{ key }}_first_names.first_name_count >= 2, false) as {{ key }}_is_household,
        {% endfor -%}
        profiles.*
    from profiles
    {% for key, column in household_keys.items() -%}
        left join {{ key }}_first_names on profiles.{{ column }} = {{ key }}_first_names.key_value
    {% endfor -%}
)

select * from final
