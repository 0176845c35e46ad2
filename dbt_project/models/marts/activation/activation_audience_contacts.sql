-- What the marketing tool gets: one row per audience, channel and fan of marts.fan_audiences
-- (consent granted on the channel, a contact point for it), with the contact point and the
-- first name to greet the fan by. The only mart holding contact details that leaves the
-- working warehouse, and never in the BI file: orchestration/activation.py writes it to its
-- own file.
with audiences as (
    select * from {{ ref('fan_audiences') }}
),

fans as (
    select
        fan_id,
        first_name
    from {{ ref('dim_fan') }}
)

select
    audiences.audience,
    audiences.channel,
    audiences.fan_id,
    fans.first_name,
    audiences.contact_point,
    audiences.consent_signal,
    audiences.consent_decided_at,
    audiences.as_of_date
from audiences
inner join fans on audiences.fan_id = fans.fan_id
