-- Identity records with every matching field standardised, and the profile each belongs
-- to: records whose standardised fields are all identical (e.g. the orders of one
-- account) share a profile, so matching compares far fewer rows. Only records carrying a
-- strong identifier (email, phone or birth date) share profiles: two box-office orders
-- that say only "Mathieu" may be two people, so each stays its own profile.
-- A name given in one field (Shopify's billing name) is split at its first space, before
-- hyphens become spaces ("Anne-Sophie Durand": anne sophie / durand); the comparison
-- aligns swapped first and last names, whichever side they come from.
-- A record anonymised under retention (stg_privacy__retained_records) is matched no more:
-- its personal fields are blank, and it shares one profile with the other records of the
-- fan it belonged to, so that fan keeps its id and its figures.
{%- set personal_fields = ['email', 'first_name', 'last_name', 'full_name', 'phone', 'birth_date', 'postal_code', 'address', 'city'] %}
with retained as (
    select * from {{ ref('stg_privacy__retained_records') }}
),

unioned as (
    select
        unioned.record_type,
        unioned.record_id,
        unioned.account_id,
        unioned.order_id,
        unioned.record_at,
        {%- for field in personal_fields %}
            case when retained.fan_id is null then unioned.{{ field }} end as {{ field }},
        {%- endfor %}
        retained.fan_id as retained_fan_id
    from {{ ref('int_identity_records_unioned') }} as unioned
    left join retained
        on unioned.record_type = retained.record_type and unioned.record_id = retained.record_id
),

records as (
    select
        *,
        {{ phone_digits('phone') }} as phone_digits,
        {{ dbt.split_part('trim(full_name)', "' '", 1) }} as full_name_first_word
    from unioned
),

standardized as (
    select
        record_type,
        record_id,
        account_id,
        order_id,
        record_at,
        retained_fan_id,
        {{ email_mailbox('email') }} as email_mailbox,
        {{ phone_e164('phone', 'phone_digits') }} as phone_e164,
        {{ standardize_name('first_name') }} as given_first_name,
        {{ standardize_name('last_name') }} as given_last_name,
        {{ standardize_name('full_name_first_word') }} as full_name_first_std,
        {{ standardize_name('substring(trim(full_name), ' ~ dbt.length('full_name_first_word') ~ ' + 2)') }} as full_name_rest_std,
        {{ standardize_name("coalesce(full_name, " ~ dbt.concat(["coalesce(first_name, '')", "' '", "coalesce(last_name, '')"]) ~ ")") }} as name_std,
        birth_date,
        cast(birth_date as {{ dbt.type_string() }}) as birth_date_text,
        {{ postal_code_standardized('postal_code') }} as postal_code_std,
        {{ standardize_address('city') }} as city_std,
        {{ standardize_address('address') }} as address_std
    from records
),

with_parts as (
    select
        *,
        {{ sorted_words('name_std') }} as name_sorted,
        -- an address line's parts in another order (flat or building first or last) agree
        {{ sorted_words('address_std') }} as address_sorted,
        {{ dbt.split_part('email_mailbox', "'@'", 1) }} as email_local,
        -- the mailbox without digits and separators: what a letter slip changes
        {{ regexp_replace_all('email_mailbox', "'[0-9._-]'", "''") }} as email_letters,
        coalesce(given_first_name, case when given_last_name is null then full_name_first_std end) as first_name_std,
        coalesce(given_last_name, case when given_first_name is null then full_name_rest_std end) as last_name_std,
        -- the same date with day and month swapped (a form filled in the other order)
        {{ dbt.concat(['substring(birth_date_text, 1, 4)', "'-'", 'substring(birth_date_text, 9, 2)', "'-'", 'substring(birth_date_text, 6, 2)']) }}
            as birth_date_swapped
    from standardized
)

select
    record_type,
    record_id,
    account_id,
    order_id,
    record_at,
    email_mailbox,
    email_local,
    email_letters,
    phone_e164,
    first_name_std,
    last_name_std,
    name_sorted,
    birth_date,
    birth_date_text,
    birth_date_swapped,
    postal_code_std,
    city_std,
    address_std,
    address_sorted,
    -- computed once per record, not twice per compared pair (a regular expression each)
    {{ regexp_replace_all('address_sorted', "'[^0-9]'", "''") }} as house_number,
    retained_fan_id is not null as is_retained,
    case
        when retained_fan_id is not null
            then {{ dbt.hash(dbt.concat(["'retained:'", 'retained_fan_id'])) }}
        when email_mailbox is null and phone_e164 is null and birth_date is null
            then {{ dbt.hash(dbt.concat(['record_type', "':'", 'record_id'])) }}
        else {{ dbt.hash(dbt.concat([
        "coalesce(account_id, '')", "'|'",
        "coalesce(email_mailbox, '')", "'|'",
        "coalesce(phone_e164, '')", "'|'",
        "coalesce(first_name_std, '')", "'|'",
        "coalesce(last_name_std, '')", "'|'",
        "coalesce(birth_date_text, '')", "'|'",
        "coalesce(postal_code_std, '')", "'|'",
        "coalesce(city_std, '')", "'|'",
        "coalesce(address_std, '')"
    ])) }}
    end as profile_id
from with_parts
