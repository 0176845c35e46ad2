-- Email attribution: each counted purchase of a fan goes to the campaign of that fan's
-- last email click in the `attribution_window_days` days before it (clicked_at in
-- [purchased_at − window, purchased_at]), in any channel. One campaign at most per
-- purchase (last click wins; same instant: the largest event id). Purchases without such
-- a click are not listed.
-- The clicker's fan comes from int_fan_emails_mapped (the contact's fan).
with purchases as (
    select
        channel,
        purchase_id,
        fan_id,
        purchased_at,
        purchase_date,
        net_amount_eur
    from {{ ref('int_purchases_unioned') }}
    where is_counted and fan_id is not null
),

recipients as (
    select * from {{ ref('int_fan_emails_mapped') }}
),

clicks as (
    select
        events.event_id,
        events.campaign_id,
        events.event_at as clicked_at,
        recipients.fan_id
    from {{ ref('stg_email__events') }} as events
    inner join recipients on {{ normalize_email('events.email') }} = recipients.email_normalized
    where events.event_type = 'click' and events.event_at is not null
),

candidates as (
    select
        purchases.channel,
        purchases.purchase_id,
        purchases.fan_id,
        purchases.purchased_at,
        purchases.purchase_date,
        purchases.net_amount_eur,
        clicks.campaign_id,
        clicks.event_id as click_event_id,
        clicks.clicked_at,
        row_number() over (
            partition by purchases.channel, purchases.purchase_id
            order by clicks.clicked_at desc, clicks.event_id desc
        ) as click_rank
    from purchases
    inner join clicks
        on
            purchases.fan_id = clicks.fan_id
            and purchases.purchased_at >= clicks.clicked_at
            and purchases.purchased_at <= {{ dbt.dateadd('day', var('attribution_window_days'), 'clicks.clicked_at') }}
)

select
    channel,
    purchase_id,
    fan_id,
    purchased_at,
    purchase_date,
    net_amount_eur,
    campaign_id,
    click_event_id,
    clicked_at
from candidates
where click_rank = 1
