-- One row per distinct standardised identity (profile), with how many records carry it.
select
    profile_id,
    min(email_mailbox) as email_mailbox,
    min(phone_e164) as phone_e164,
    min(name_sorted) as name_sorted,
    min(birth_date) as birth_date,
    min(postal_code_std) as postal_code_std,
    count(*) as record_count
from {{ ref('int_identity_records_standardized') }}
group by profile_id
