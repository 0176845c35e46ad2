-- Every consent signal the three tools give about a fan, one row per signal, dated, up to
-- the as-of date. Signal codes are the rows of seeds/consent_precedence.csv, which says
-- how each weighs. Fans come from identity resolution; an email event reaches every fan
-- using its address (a shared mailbox that unsubscribes withdraws each of its fans).
with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

records as (
    select
        record_type,
        record_id,
        fan_id,
        email_normalized
    from {{ ref('int_identity_records_clustered') }}
),

contacts as (
    select
        records.fan_id,
        contacts.contact_id,
        contacts.sms_phone,
        -- a contact deleted from the email tool's newest snapshot withdraws on both channels
        contacts.is_email_blacklisted or contacts.is_deleted_upstream as is_email_blacklisted,
        contacts.is_sms_blacklisted or contacts.is_deleted_upstream as is_sms_blacklisted,
        coalesce(contacts.modified_at, contacts.created_at) as stated_at
    from {{ ref('stg_email__contacts') }} as contacts
    inner join records
        on records.record_type = 'email_contact' and contacts.contact_id = records.record_id
),

email_fans as (
    select distinct
        email_normalized,
        fan_id
    from records
    where email_normalized is not null
),

leaving_events as (
    select
        email_fans.fan_id,
        events.event_id,
        events.event_type,
        events.event_at
    from {{ ref('fct_email_events') }} as events
    inner join email_fans on events.email = email_fans.email_normalized
    where events.event_type in ('unsubscribe', 'spam', 'hard_bounce')
),

ticket_orders as (
    select
        records.fan_id,
        orders.order_id,
        orders.is_opted_in_club,
        coalesce(orders.updated_at, orders.created_at) as stated_at
    from {{ ref('stg_ticketing__orders') }} as orders
    inner join records
        on records.record_type = 'ticketing_order' and orders.order_id = records.record_id
    where orders.is_opted_in_club is not null
),

shop_customers as (
    select
        records.fan_id,
        customers.customer_id,
        customers.accepts_email_marketing,
        customers.accepts_sms_marketing,
        cast(customers._export_date as timestamp) as stated_at
    from {{ ref('stg_shop__customers') }} as customers
    inner join records
        on records.record_type = 'shop_customer' and customers.customer_id = records.record_id
),

signals as (
    select
        fan_id,
        case when is_email_blacklisted then 'email_contact_blacklisted' else 'email_contact_subscribed' end as signal_code,
        'email_contact' as source_record_type,
        contact_id as source_record_id,
        stated_at
    from contacts
    where is_email_blacklisted is not null

    union all

    select
        fan_id,
        case when is_sms_blacklisted then 'sms_contact_blacklisted' else 'sms_contact_subscribed' end as signal_code,
        'email_contact' as source_record_type,
        contact_id as source_record_id,
        stated_at
    from contacts
    -- not being blacklisted says nothing about SMS for a contact without a number
    where is_sms_blacklisted or (is_sms_blacklisted is not null and sms_phone is not null)

    union all

    select
        fan_id,
        case event_type
            when 'unsubscribe' then 'email_unsubscribe'
            when 'spam' then 'email_spam_complaint'
            else 'email_hard_bounce'
        end as signal_code,
        'email_event' as source_record_type,
        event_id as source_record_id,
        event_at as stated_at
    from leaving_events

    union all

    select
        fan_id,
        case when is_opted_in_club then 'ticketing_optin_club_yes' else 'ticketing_optin_club_no' end as signal_code,
        'ticketing_order' as source_record_type,
        order_id as source_record_id,
        stated_at
    from ticket_orders

    union all

    select
        fan_id,
        case when accepts_email_marketing then 'shop_accepts_email_yes' else 'shop_accepts_email_no' end as signal_code,
        'shop_customer' as source_record_type,
        customer_id as source_record_id,
        stated_at
    from shop_customers
    where accepts_email_marketing is not null

    union all

    select
        fan_id,
        case when accepts_sms_marketing then 'shop_accepts_sms_yes' else 'shop_accepts_sms_no' end as signal_code,
        'shop_customer' as source_record_type,
        customer_id as source_record_id,
        stated_at
    from shop_customers
    where accepts_sms_marketing is not null
)

select
    signals.fan_id,
    precedence.channel,
    signals.signal_code,
    precedence.consent,
    precedence.is_dated_choice,
    precedence.tie_rank,
    signals.source_record_type,
    cast(signals.source_record_id as {{ dbt.type_string() }}) as source_record_id,
    signals.stated_at
from signals
inner join {{ ref('consent_precedence') }} as precedence on signals.signal_code = precedence.signal_code
cross join as_of
where
    signals.fan_id is not null
    and signals.stated_at is not null
    and {{ utc_to_local_date('signals.stated_at') }} <= as_of.as_of_date
