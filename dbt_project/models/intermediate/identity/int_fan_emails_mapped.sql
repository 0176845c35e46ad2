-- Email address -> fan, for records that carry only an email (email events, survey
-- answers). The marketing tool keeps one contact per address and its campaigns go to that
-- contact, so an address held by an email contact maps to the contact's fan. Any other
-- address maps to the only fan using it; an address several fans use (a shared family
-- mailbox) maps to no fan rather than to the wrong one.
with records as (
    select
        email_normalized,
        fan_id,
        record_type
    from {{ ref('int_identity_records_clustered') }}
    where email_normalized is not null
),

contact_fans as (
    select
        email_normalized,
        min(fan_id) as fan_id
    from records
    where record_type = 'email_contact'
    group by email_normalized
    having count(distinct fan_id) = 1
),

sole_fans as (
    select
        email_normalized,
        min(fan_id) as fan_id
    from records
    group by email_normalized
    having count(distinct fan_id) = 1
),

addresses as (
    select email_normalized from contact_fans
    union
    select email_normalized from sole_fans
)

select
    addresses.email_normalized,
    coalesce(contact_fans.fan_id, sole_fans.fan_id) as fan_id,
    case when contact_fans.fan_id is not null then 'email_contact' else 'sole_fan' end as mapped_by
from addresses
left join contact_fans on addresses.email_normalized = contact_fans.email_normalized
left join sole_fans on addresses.email_normalized = sole_fans.email_normalized
