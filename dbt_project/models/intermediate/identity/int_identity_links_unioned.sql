-- Every link the clustering may use, strongest first: two records of one ticketing
-- account (the platform's own key), then probabilistic links by match probability.
with standardized as (
    select * from {{ ref('int_identity_records_standardized') }}
),

account_profiles as (
    select
        account_id,
        profile_id,
        record_type
    from standardized
    where account_id is not null
),

-- each profile seen on an account links to the profile of the account record itself
account_links as (
    select distinct
        account_record.profile_id as profile_id_a,
        other.profile_id as profile_id_b,
        'same_ticketing_account' as link_rule,
        1.0 as match_probability,
        {{ dbt.concat(["'same ticketing account '", 'account_record.account_id']) }} as evidence,
        1 as priority
    from account_profiles as account_record
    inner join account_profiles as other
        on
            account_record.account_id = other.account_id
            and account_record.profile_id <> other.profile_id
    where account_record.record_type = 'ticketing_account' and other.record_type = 'ticketing_order'
),

probabilistic_links as (
    select
        profile_id_a,
        profile_id_b,
        'probabilistic' as link_rule,
        match_probability,
        evidence,
        2 as priority
    from {{ ref('int_identity_pairs_scored') }}
    where is_link
)

select * from account_links
union all
select * from probabilistic_links
