-- Every link the clustering may use, strongest first: two records of one ticketing
-- account (the platform's own key); a ticket holder named exactly like the buyer of the
-- ticket's own order (the buyer's own seat); then probabilistic links by probability and
-- records on a personal mailbox (identity_personal_mailbox_rule);
-- then holders found in their buyer's world (int_identity_holder_links_matched).
with standardized as (
    select * from {{ ref('int_identity_records_standardized') }}
),

profiles as (
    select * from {{ ref('int_identity_profiles_grouped') }}
),

scored_pairs as (
    select * from {{ ref('int_identity_pairs_scored') }}
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

holder_links as (
    select distinct
        holder.profile_id as profile_id_a,
        buyer.profile_id as profile_id_b,
        'holder_is_buyer' as link_rule,
        1.0 as match_probability,
        {{ dbt.concat(["'ticket holder named like the buyer of order '", 'holder.order_id']) }} as evidence,
        1 as priority
    from standardized as holder
    -- one join on the order and the name together: joined on the name alone first, a
    -- common surname would pair every holder with every buyer of that name
    inner join standardized as buyer
        on holder.order_id = buyer.order_id and holder.name_sorted = buyer.name_sorted
    where
        holder.record_type = 'ticket_holder'
        and buyer.record_type = 'ticketing_order'
        and holder.profile_id <> buyer.profile_id
),

-- the scored pairs a link may come from, with their profiles' ids (pairs carry keys)
scored_links as (
    select
        scored.*,
        profile_a.profile_id as profile_id_a,
        profile_b.profile_id as profile_id_b
    from scored_pairs as scored
    inner join profiles as profile_a on scored.profile_key_a = profile_a.profile_key
    inner join profiles as profile_b on scored.profile_key_b = profile_b.profile_key
    where scored.is_link or scored.is_personal_mailbox_match
),

probabilistic_links as (
    select
        profile_id_a,
        profile_id_b,
        'probabilistic' as link_rule,
        match_probability,
        evidence,
        2 as priority
    from scored_links
    where is_link
),

-- records on a mailbox only one person uses, nothing disagreeing (one may have no name)
personal_mailbox_links as (
    select
        profile_id_a,
        profile_id_b,
        'personal_mailbox' as link_rule,
        match_probability,
        evidence,
        2 as priority
    from scored_links
    where is_personal_mailbox_match and not is_link and not is_cannot_link
),

holder_world_links as (
    select
        profile_id_a,
        profile_id_b,
        link_rule,
        1.0 as match_probability,
        evidence,
        3 as priority
    from {{ ref('int_identity_holder_links_matched') }}
)

select * from account_links
union all
select * from holder_links
union all
select * from probabilistic_links
union all
select * from personal_mailbox_links
union all
select * from holder_world_links
