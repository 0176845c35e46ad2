-- Email engagement and attributed revenue, one row per campaign. Definitions:
-- _kpi__models.yml. Recipients are counted once per event type (distinct normalised
-- addresses), after duplicate event ids are removed (fct_email_events).
with campaigns as (
    select * from {{ ref('stg_email__campaigns') }}
),

events as (
    select
        campaign_id,
        email,
        event_type
    from {{ ref('fct_email_events') }}
    where campaign_id is not null and email is not null
),

campaign_ids as (
    select campaign_id from campaigns
    union
    select campaign_id from events
),

recipients as (
    select
        campaign_id,
        count(distinct case when event_type = 'delivered' then email end) as delivered,
        count(distinct case when event_type = 'opened' then email end) as opened_human,
        count(distinct case when event_type = 'proxy_open' then email end) as proxy_opened,
        count(distinct case when event_type = 'click' then email end) as clicked,
        count(distinct case when event_type = 'unsubscribe' then email end) as unsubscribed,
        count(distinct case when event_type = 'hard_bounce' then email end) as hard_bounced,
        count(distinct case when event_type = 'soft_bounce' then email end) as soft_bounced,
        count(distinct case when event_type = 'spam' then email end) as spam
    from events
    group by campaign_id
),

attributed as (
    select
        campaign_id,
        count(*) as attributed_purchases,
        count(distinct fan_id) as attributed_buyers,
        sum(net_amount_eur) as attributed_revenue_eur
    from {{ ref('int_purchases_attributed') }}
    group by campaign_id
),

counted as (
    select
        campaign_ids.campaign_id,
        campaigns.campaign_name,
        campaigns.campaign_type,
        campaigns.list_name,
        campaigns.sent_at,
        coalesce(recipients.delivered, 0) as delivered,
        coalesce(recipients.opened_human, 0) as opened_human,
        coalesce(recipients.proxy_opened, 0) as proxy_opened,
        coalesce(recipients.clicked, 0) as clicked,
        coalesce(recipients.unsubscribed, 0) as unsubscribed,
        coalesce(recipients.hard_bounced, 0) as hard_bounced,
        coalesce(recipients.soft_bounced, 0) as soft_bounced,
        coalesce(recipients.spam, 0) as spam,
        coalesce(attributed.attributed_purchases, 0) as attributed_purchases,
        coalesce(attributed.attributed_buyers, 0) as attributed_buyers,
        coalesce(attributed.attributed_revenue_eur, 0) as attributed_revenue_eur
    from campaign_ids
    left join campaigns on campaign_ids.campaign_id = campaigns.campaign_id
    left join recipients on campaign_ids.campaign_id = recipients.campaign_id
    left join attributed on campaign_ids.campaign_id = attributed.campaign_id
)

select
    campaign_id,
    campaign_name,
    campaign_type,
    list_name,
    sent_at,
    {{ utc_to_local_date('sent_at') }} as sent_date,
    cast(delivered as integer) as delivered,
    cast(opened_human as integer) as opened_human,
    cast(proxy_opened as integer) as proxy_opened,
    cast(clicked as integer) as clicked,
    cast(unsubscribed as integer) as unsubscribed,
    cast(hard_bounced as integer) as hard_bounced,
    cast(soft_bounced as integer) as soft_bounced,
    cast(spam as integer) as spam,
    cast(case when delivered > 0 then 1.0 * opened_human / delivered end as double) as open_rate,
    cast(case when delivered > 0 then 1.0 * clicked / delivered end as double) as click_rate,
    cast(case when opened_human > 0 then 1.0 * clicked / opened_human end as double) as click_to_open_rate,
    cast(case when delivered > 0 then 1.0 * unsubscribed / delivered end as double) as unsubscribe_rate,
    cast(case when delivered > 0 then 1.0 * hard_bounced / delivered end as double) as hard_bounce_rate,
    cast(case when delivered > 0 then 1.0 * soft_bounced / delivered end as double) as soft_bounce_rate,
    cast(case when delivered > 0 then 1.0 * spam / delivered end as double) as spam_rate,
    cast(attributed_purchases as integer) as attributed_purchases,
    cast(attributed_buyers as integer) as attributed_buyers,
    {{ money('attributed_revenue_eur') }} as attributed_revenue_eur
from counted
