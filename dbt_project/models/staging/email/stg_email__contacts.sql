with source as (
    select * from {{ source('email', 'contacts') }}
),

-- A snapshot without a column (schema drift) does not know its values: they are null in
-- raw (an empty value is ''). Each contact keeps the value of the newest snapshot that had
-- the column, so a dropped DATE_OF_BIRTH column erases no birth date.
known as (
    select
        contact_id,
        {{ newest_known_columns(
            ['email', 'firstname', 'lastname', 'sms', 'date_of_birth', 'postcode',
             'email_blacklisted', 'sms_blacklisted', 'created_at', 'modified_at', 'lists'],
            'contact_id') }},
        _export_date,
        _source_file,
        _source_line,
        _export_date < max(_export_date) over () as is_deleted_upstream
    from source
),

renamed as (
    select
        {{ empty_as_null('contact_id') }} as contact_id,
        {{ empty_as_null('email') }} as email,
        {{ clean_text('firstname') }} as first_name,
        {{ clean_text('lastname') }} as last_name,
        {{ empty_as_null('sms') }} as sms_phone,
        {{ parse_date('date_of_birth') }} as birth_date,
        {{ empty_as_null('postcode') }} as postal_code,
        {{ parse_boolean('email_blacklisted') }} as is_email_blacklisted,
        {{ parse_boolean('sms_blacklisted') }} as is_sms_blacklisted,
        {{ parse_timestamp_to_utc('created_at', 'UTC') }} as created_at,
        {{ parse_timestamp_to_utc('modified_at', 'UTC') }} as modified_at,
        {{ empty_as_null('lists') }} as lists,
        is_deleted_upstream,
        _export_date,
        _source_file,
        _source_line
    from known
),

-- snapshot: the newest export, then the newest modification, holds the current contact
deduped as (
    {{ dedupe('renamed', 'contact_id', '_export_date desc, modified_at desc nulls last, _source_file desc, _source_line desc') }}
)

select
    contact_id,
    email,
    first_name,
    last_name,
    sms_phone,
    birth_date,
    postal_code,
    is_email_blacklisted,
    is_sms_blacklisted,
    created_at,
    modified_at,
    lists,
    is_deleted_upstream,
    _export_date,
    _source_file,
    _source_line
from deduped
where contact_id is not null
