-- Identity records with every matching field standardised, and the profile each belongs
-- to: records whose standardised fields are all identical (e.g. the orders of one
-- account) share a profile, so matching compares far fewer rows. Only records carrying a
-- strong identifier (email, phone or birth date) share profiles: two box-office orders
-- that say only "Mathieu" may be two people, so each stays its own profile.
with records as (
    select
        *,
        {{ phone_digits('phone') }} as phone_digits
    from {{ ref('int_identity_records_unioned') }}
),

standardized as (
    select
        record_type,
        record_id,
        account_id,
        record_at,
        {{ email_mailbox('email') }} as email_mailbox,
        {{ phone_e164('phone', 'phone_digits') }} as phone_e164,
        {{ standardize_name('first_name') }} as first_name_std,
        {{ standardize_name('last_name') }} as last_name_std,
        {{ standardize_name("coalesce(full_name, " ~ dbt.concat(["coalesce(first_name, '')", "' '", "coalesce(last_name, '')"]) ~ ")") }} as name_std,
        birth_date,
        {{ postal_code_standardized('postal_code') }} as postal_code_std
    from records
),

with_tokens as (
    select
        *,
        {{ sorted_name_tokens('name_std') }} as name_sorted
    from standardized
)

select
    record_type,
    record_id,
    account_id,
    record_at,
    email_mailbox,
    phone_e164,
    first_name_std,
    last_name_std,
    name_sorted,
    birth_date,
    postal_code_std,
    case
        when email_mailbox is null and phone_e164 is null and birth_date is null
            then {{ dbt.hash(dbt.concat(['record_type', "':'", 'record_id'])) }}
        else {{ dbt.hash(dbt.concat([
        "coalesce(account_id, '')", "'|'",
        "coalesce(email_mailbox, '')", "'|'",
        "coalesce(phone_e164, '')", "'|'",
        "coalesce(name_sorted, '')", "'|'",
        "coalesce(cast(birth_date as " ~ dbt.type_string() ~ "), '')", "'|'",
        "coalesce(postal_code_std, '')"
    ])) }}
    end as profile_id
from with_tokens
