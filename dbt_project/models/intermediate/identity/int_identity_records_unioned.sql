-- One row per source record that names a person, in one shape for matching: the record
-- types of marts.fan_source_records.
with ticketing_orders as (
    select * from {{ ref('stg_ticketing__orders') }}
),

retained_holders as (
    select record_id from {{ ref('stg_privacy__retained_records') }}
    where record_type = 'ticket_holder'
),

-- an account is described by its latest order
ticketing_accounts as (
    {{ dedupe('ticketing_orders', 'account_id', 'updated_at desc nulls last, order_id desc') }}
),

unioned as (
    select
        'ticketing_account' as record_type,
        account_id as record_id,
        account_id,
        cast(null as {{ dbt.type_string() }}) as order_id,
        email,
        first_name,
        last_name,
        cast(null as {{ dbt.type_string() }}) as full_name,
        phone,
        birth_date,
        postal_code,
        address,
        city,
        created_at as record_at
    from ticketing_accounts
    where account_id is not null

    union all

    select
        'ticketing_order' as record_type,
        order_id as record_id,
        account_id,
        order_id,
        email,
        first_name,
        last_name,
        null as full_name,
        phone,
        birth_date,
        postal_code,
        address,
        city,
        created_at as record_at
    from ticketing_orders

    union all

    select
        'ticket_holder' as record_type,
        tickets.ticket_id as record_id,
        null as account_id,
        tickets.order_id,
        tickets.holder_email as email,
        tickets.holder_first_name as first_name,
        tickets.holder_last_name as last_name,
        null as full_name,
        null as phone,
        null as birth_date,
        null as postal_code,
        null as address,
        null as city,
        orders.created_at as record_at
    from {{ ref('stg_ticketing__tickets') }} as tickets
    left join ticketing_orders as orders on tickets.order_id = orders.order_id
    -- a holder anonymised under retention has no name left, and stays a record of its fan
    left join retained_holders on tickets.ticket_id = retained_holders.record_id
    where
        tickets.holder_first_name is not null
        or tickets.holder_last_name is not null
        or retained_holders.record_id is not null

    union all

    select
        'shop_customer' as record_type,
        customer_id as record_id,
        null as account_id,
        null as order_id,
        email,
        first_name,
        last_name,
        null as full_name,
        coalesce(phone, address_phone) as phone,
        null as birth_date,
        zip as postal_code,
        address1 as address,
        city,
        null as record_at
    from {{ ref('stg_shop__customers') }}

    union all

    select
        'shop_order' as record_type,
        order_id as record_id,
        null as account_id,
        null as order_id,
        email,
        null as first_name,
        null as last_name,
        billing_name as full_name,
        coalesce(billing_phone, phone) as phone,
        null as birth_date,
        billing_zip as postal_code,
        billing_address1 as address,
        billing_city as city,
        created_at as record_at
    from {{ ref('stg_shop__orders') }}
    where order_id is not null

    union all

    select
        'email_contact' as record_type,
        contact_id as record_id,
        null as account_id,
        null as order_id,
        email,
        first_name,
        last_name,
        null as full_name,
        sms_phone as phone,
        birth_date,
        postal_code,
        null as address,
        null as city,
        coalesce(modified_at, created_at) as record_at
    from {{ ref('stg_email__contacts') }}
)

select
    record_type,
    record_id,
    account_id,
    order_id,
    email,
    {{ normalize_email('email') }} as email_normalized,
    first_name,
    last_name,
    full_name,
    phone,
    birth_date,
    postal_code,
    address,
    city,
    record_at
from unioned
