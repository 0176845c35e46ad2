-- Email address -> fan, for records that carry only an email (email events, survey
-- answers). An address used by several fans (a shared family mailbox) is ambiguous and
-- maps to no fan rather than to the wrong one.
select
    email_normalized,
    min(fan_id) as fan_id
from {{ ref('int_identity_records_clustered') }}
where email_normalized is not null
group by email_normalized
having count(distinct fan_id) = 1
