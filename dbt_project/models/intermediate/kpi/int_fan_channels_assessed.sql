-- One row per fan: consent as each tool records it, reach, and activity per channel as of
-- the run's as-of date. A fan's records are found through int_identity_records_clustered.
--   ticketing opt-ins   per flag, the value on the fan's latest ticketing order
--                       (updated_at) carrying that flag
--   shop acceptances    true when any of the fan's Shopify customers accepts (Shopify
--                       gives no date to prefer one), false when some say no and none yes
--   email tool          a contact not blacklisted for email = opted in to email; a contact
--                       with an SMS number not blacklisted for SMS = opted in to SMS
--   reachable by email  the fan has a contact with an address, not blacklisted for email
--   reachable by SMS    the fan has a contact with an SMS number, not blacklisted for SMS
--   active in ticketing / shop: a counted purchase in the channel, and active in email:
--                       an `opened` (human) or `click` event, in the last
--                       `kpi_activity_window_months` months up to the as-of date
with as_of as (
    select
        as_of_date,
        cast({{ dbt.dateadd('month', -1 * var('kpi_activity_window_months'), 'as_of_date') }} as date) as window_start
    from {{ ref('int_run_as_of_resolved') }}
),

-- people only: a holder's name tied to nobody is not a fan to count
records as (
    select
        record_type,
        record_id,
        fan_id
    from {{ ref('int_identity_records_clustered') }}
    where fan_identity_confidence = 'identified'
),

fans as (
    select distinct fan_id from records
),

ticketing as (
    -- per flag, the value of the fan's latest ticketing order carrying it
    select
        records.fan_id,
        {{ latest_non_null('orders.is_opted_in_club', 'coalesce(orders.updated_at, orders.created_at)') }}
            as opted_in_club,
        {{ latest_non_null('orders.is_opted_in_partners', 'coalesce(orders.updated_at, orders.created_at)') }}
            as opted_in_partners
    from {{ ref('stg_ticketing__orders') }} as orders
    inner join records
        on records.record_type = 'ticketing_order' and orders.order_id = records.record_id
    group by records.fan_id
),

shop as (
    select
        records.fan_id,
        max(case when customers.accepts_email_marketing then 1 when not customers.accepts_email_marketing then 0 end)
            as accepts_email,
        max(case when customers.accepts_sms_marketing then 1 when not customers.accepts_sms_marketing then 0 end)
            as accepts_sms
    from {{ ref('stg_shop__customers') }} as customers
    inner join records
        on records.record_type = 'shop_customer' and customers.customer_id = records.record_id
    group by records.fan_id
),

contacts as (
    select
        records.fan_id,
        max(case when contacts.email is not null then 1 else 0 end) as has_email_contact,
        max(case when contacts.email is not null and contacts.is_email_blacklisted = false then 1 else 0 end)
            as email_reachable,
        max(case when contacts.sms_phone is not null then 1 else 0 end) as has_sms_number,
        max(case when contacts.sms_phone is not null and contacts.is_sms_blacklisted = false then 1 else 0 end)
            as sms_reachable
    from {{ ref('stg_email__contacts') }} as contacts
    inner join records
        on records.record_type = 'email_contact' and contacts.contact_id = records.record_id
    group by records.fan_id
),

purchase_activity as (
    select
        purchases.fan_id,
        max(case when purchases.channel = 'ticketing' then 1 else 0 end) as active_ticketing,
        max(case when purchases.channel = 'shop' then 1 else 0 end) as active_shop
    from {{ ref('int_purchases_unioned') }} as purchases
    cross join as_of
    where
        purchases.is_counted
        and purchases.fan_id is not null
        and purchases.purchase_date > as_of.window_start
    group by purchases.fan_id
),

email_activity as (
    select distinct recipients.fan_id
    from {{ ref('stg_email__events') }} as events
    inner join {{ ref('int_fan_emails_mapped') }} as recipients
        on {{ normalize_email('events.email') }} = recipients.email_normalized
    cross join as_of
    where
        events.event_type in ('opened', 'click')
        and recipients.fan_id is not null
        and {{ utc_to_local_date('events.event_at') }} > as_of.window_start
        and {{ utc_to_local_date('events.event_at') }} <= as_of.as_of_date
),

assessed as (
    select
        fans.fan_id,
        ticketing.opted_in_club as ticketing_opted_in_club,
        ticketing.opted_in_partners as ticketing_opted_in_partners,
        shop.accepts_email = 1 as shop_accepts_email,
        shop.accepts_sms = 1 as shop_accepts_sms,
        coalesce(contacts.has_email_contact, 0) = 1 as has_email_contact,
        coalesce(contacts.has_sms_number, 0) = 1 as has_sms_number,
        coalesce(contacts.email_reachable, 0) = 1 as is_email_reachable,
        coalesce(contacts.sms_reachable, 0) = 1 as is_sms_reachable,
        coalesce(purchase_activity.active_ticketing, 0) = 1 as is_active_ticketing,
        coalesce(purchase_activity.active_shop, 0) = 1 as is_active_shop,
        email_activity.fan_id is not null as is_active_email
    from fans
    left join ticketing on fans.fan_id = ticketing.fan_id
    left join shop on fans.fan_id = shop.fan_id
    left join contacts on fans.fan_id = contacts.fan_id
    left join purchase_activity on fans.fan_id = purchase_activity.fan_id
    left join email_activity on fans.fan_id = email_activity.fan_id
)

select
    assessed.fan_id,
    assessed.ticketing_opted_in_club,
    assessed.ticketing_opted_in_partners,
    assessed.shop_accepts_email,
    assessed.shop_accepts_sms,
    assessed.has_email_contact,
    assessed.has_sms_number,
    assessed.is_email_reachable,
    assessed.is_sms_reachable,
    assessed.is_active_ticketing,
    assessed.is_active_shop,
    assessed.is_active_email,
    as_of.as_of_date,
    (case when assessed.is_active_ticketing then 1 else 0 end)
    + (case when assessed.is_active_shop then 1 else 0 end)
    + (case when assessed.is_active_email then 1 else 0 end) as active_channels
from assessed
cross join as_of
