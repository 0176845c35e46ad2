-- One row per fan: the golden record. Survivorship per attribute (seeds/
-- identity_source_trust.csv): the value from the most trusted record type, then the most
-- recent record, then the most complete record, then the greatest record key, among the
-- fan's records carrying one.
with records as (
    select * from {{ ref('int_identity_records_clustered') }}
),

trust as (
    select * from {{ ref('identity_source_trust') }}
),

ranked as (
    select
        records.*,
        -- one sortable number: trust first, then recency (epoch seconds), then completeness
        cast(coalesce(trust.trust_level, 0) as bigint) * 100000000000
        + coalesce(cast({{ epoch_seconds('records.record_at') }} as bigint), 0) * 10
        + (case when records.email_mailbox is not null then 1 else 0 end)
        + (case when records.phone_e164 is not null then 1 else 0 end)
        + (case when records.birth_date is not null then 1 else 0 end)
        + (case when records.postal_code_std is not null then 1 else 0 end)
        + (case when records.first_name is not null then 1 else 0 end) as survivorship_rank
    from records
    left join trust on records.record_type = trust.record_type
),

-- Records can rank equal (same trust, time and completeness: two undated shop accounts, two
-- tickets of one order) yet carry different values: the record key breaks the tie, or the
-- engine would pick a different email from run to run.
ordered as (
    select
        *,
        row_number() over (
            partition by fan_id order by survivorship_rank, record_type, record_id
        ) as survivorship_order
    from ranked
),

households as (
    select
        fan_id,
        household_id
    from {{ ref('int_fan_households_grouped') }}
),

as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

fans as (
    select
        fan_id,
        min(fan_id_issued_on) as fan_id_issued_on,
        {{ latest_non_null('first_name', 'survivorship_order') }} as first_name,
        {{ latest_non_null('last_name', 'survivorship_order') }} as last_name,
        -- an anonymised record's email is a token (orchestration/retention.py), no address
        {{ latest_non_null('case when not is_retained then email_normalized end', 'survivorship_order') }} as email,
        {{ latest_non_null('phone_e164', 'survivorship_order') }} as phone,
        {{ latest_non_null('birth_date', 'survivorship_order') }} as birth_date,
        {{ latest_non_null('postal_code_std', 'survivorship_order') }} as postal_code,
        min(record_at) as first_seen_at,
        max(record_at) as last_seen_at,
        count(*) as source_record_count,
        min(fan_identity_confidence) as identity_confidence,
        max(case when record_type in ('ticketing_account', 'ticketing_order') then 1 else 0 end) = 1 as is_ticketing_buyer,
        max(case when record_type in ('shop_customer', 'shop_order') then 1 else 0 end) = 1 as is_shop_customer,
        max(case when record_type = 'email_contact' then 1 else 0 end) = 1 as is_email_contact,
        min(case when is_retained then 1 else 0 end) = 1 as is_anonymised
    from ordered
    group by fan_id
)

-- What BI sees of the person (the personal columns above stay in the working warehouse and
-- in the activation export).
select
    fans.*,
    households.household_id,
    {{ age_band('fans.birth_date', 'as_of.as_of_date') }} as age_band,
    {{ postal_area('fans.postal_code') }} as postal_area,
    fans.email is not null as has_email,
    fans.phone is not null as has_phone
from fans
left join households on fans.fan_id = households.fan_id
cross join as_of
