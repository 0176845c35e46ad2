-- One row per fan: the golden record. Survivorship: per attribute, the most recent
-- non-empty value among the fan's source records.
with records as (
    select * from {{ ref('int_identity_records_clustered') }}
)

select
    fan_id,
    {{ latest_non_null('first_name', 'record_at') }} as first_name,
    {{ latest_non_null('last_name', 'record_at') }} as last_name,
    {{ latest_non_null('email_normalized', 'record_at') }} as email,
    {{ latest_non_null('phone', 'record_at') }} as phone,
    {{ latest_non_null('birth_date', 'record_at') }} as birth_date,
    {{ latest_non_null('postal_code', 'record_at') }} as postal_code,
    min(record_at) as first_seen_at,
    max(record_at) as last_seen_at,
    count(*) as source_record_count,
    max(case when record_type in ('ticketing_account', 'ticketing_order') then 1 else 0 end) = 1 as is_ticketing_buyer,
    max(case when record_type in ('shop_customer', 'shop_order') then 1 else 0 end) = 1 as is_shop_customer,
    max(case when record_type = 'email_contact' then 1 else 0 end) = 1 as is_email_contact
from records
group by fan_id
