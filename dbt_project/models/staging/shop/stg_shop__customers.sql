with source as (
    select * from {{ source('shop', 'customers') }}
),

-- a column missing from a newer snapshot is unknown there, not erased (see stg_email__contacts)
known as (
    select
        customer_id,
        {{ newest_known_columns(
            ['first_name', 'last_name', 'email', 'accepts_email_marketing',
             'accepts_sms_marketing', 'default_address_company', 'default_address_address1',
             'default_address_address2', 'default_address_city',
             'default_address_province_code', 'default_address_country_code',
             'default_address_zip', 'default_address_phone', 'phone', 'total_spent',
             'total_orders', 'note', 'tax_exempt', 'tags'],
            'customer_id') }},
        _export_date,
        _source_file,
        _source_line
    from source
),

renamed as (
    select
        {{ empty_as_null('customer_id') }} as customer_id,
        {{ clean_text('first_name') }} as first_name,
        {{ clean_text('last_name') }} as last_name,
        {{ empty_as_null('email') }} as email,
        {{ parse_boolean('accepts_email_marketing') }} as accepts_email_marketing,
        {{ parse_boolean('accepts_sms_marketing') }} as accepts_sms_marketing,
        {{ empty_as_null('default_address_company') }} as company,
        {{ empty_as_null('default_address_address1') }} as address1,
        {{ empty_as_null('default_address_address2') }} as address2,
        {{ empty_as_null('default_address_city') }} as city,
        {{ empty_as_null('default_address_province_code') }} as province_code,
        upper({{ empty_as_null('default_address_country_code') }}) as country_code,
        -- Excel protects leading zeros with an apostrophe ('75008)
        replace({{ empty_as_null('default_address_zip') }}, '''', '') as zip,
        {{ empty_as_null('default_address_phone') }} as address_phone,
        {{ empty_as_null('phone') }} as phone,
        {{ parse_decimal('total_spent') }} as total_spent,
        {{ parse_integer('total_orders') }} as total_orders,
        {{ empty_as_null('note') }} as note,
        {{ parse_boolean('tax_exempt') }} as is_tax_exempt,
        {{ empty_as_null('tags') }} as tags,
        _export_date,
        _source_file,
        _source_line
    from known
),

-- snapshot: the newest export holds the current customer
deduped as (
    {{ dedupe('renamed', 'customer_id', '_export_date desc, _source_file desc, _source_line desc') }}
)

select
    customer_id,
    first_name,
    last_name,
    email,
    accepts_email_marketing,
    accepts_sms_marketing,
    company,
    address1,
    address2,
    city,
    province_code,
    country_code,
    zip,
    address_phone,
    phone,
    total_spent,
    total_orders,
    note,
    is_tax_exempt,
    tags,
    _export_date,
    _source_file,
    _source_line
from deduped
where customer_id is not null
