-- Assigns each identity record to a fan. Placeholder rule: exact normalised email; a
-- ticketing order without email joins its account's fan; a record with neither stands
-- alone. Identity resolution (fuzzy matching, stable ids) replaces this model behind the
-- same columns.
with records as (
    select * from {{ ref('int_identity_records_unioned') }}
),

account_emails as (
    select
        record_id as account_id,
        email_normalized
    from records
    where record_type = 'ticketing_account'
),

order_accounts as (
    select
        order_id,
        account_id
    from {{ ref('stg_ticketing__orders') }}
),

keyed as (
    select
        records.*,
        coalesce(
            records.email_normalized,
            account_emails.email_normalized,
            {{ dbt.concat(['records.record_type', "':'", 'records.record_id']) }}
        ) as cluster_key,
        case
            when records.email_normalized is not null then 'exact_email'
            when account_emails.email_normalized is not null then 'ticketing_account_email'
            else 'singleton'
        end as match_rule
    from records
    left join order_accounts
        on records.record_type = 'ticketing_order' and records.record_id = order_accounts.order_id
    left join account_emails
        on order_accounts.account_id = account_emails.account_id
)

select
    record_type,
    record_id,
    {{ surrogate_id('F', 'cluster_key') }} as fan_id,
    match_rule,
    cast(case when match_rule = 'singleton' then null else 1.0 end as decimal(5, 4)) as match_score,
    case
        when match_rule = 'exact_email' then {{ dbt.concat(["'email='", 'email_normalized']) }}
        when match_rule = 'ticketing_account_email' then 'email of its ticketing account'
    end as match_evidence,
    email,
    email_normalized,
    first_name,
    last_name,
    full_name,
    phone,
    birth_date,
    postal_code,
    record_at
from keyed
