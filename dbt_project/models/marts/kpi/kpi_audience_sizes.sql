-- Fans ready for activation per audience and channel (seeds/activation_audiences.csv),
-- with consent granted: the sizes of fan_audiences, an audience with nobody in it included.
with audiences as (
    select * from {{ ref('activation_audiences') }}
),

members as (
    select
        audience,
        channel,
        count(distinct fan_id) as fans
    from {{ ref('fan_audiences') }}
    group by audience, channel
)

select
    audiences.audience,
    audiences.channel,
    audiences.description,
    cast(coalesce(members.fans, 0) as integer) as fans
from audiences
left join members
    on audiences.audience = members.audience and audiences.channel = members.channel
