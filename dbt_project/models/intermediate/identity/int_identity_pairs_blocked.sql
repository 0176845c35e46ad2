-- Candidate pairs of profiles: profiles sharing at least one blocking key, never all
-- pairs. There is no block on the name alone: name agreement without any other evidence
-- can never reach the link threshold (homonyms), and such a block made ~75% of all pairs.
-- A block larger than `identity_max_block_size` is skipped: a key that many people share
-- identifies nobody, and pairing it would explode.
with profiles as (
    select * from {{ ref('int_identity_profiles_grouped') }}
),

block_keys as (
    select
        profile_id,
        'email' as block_name,
        email_mailbox as block_value
    from profiles
    where email_mailbox is not null
    union all
    select
        profile_id,
        'phone' as block_name,
        phone_e164 as block_value
    from profiles
    where phone_e164 is not null
    union all
    select
        profile_id,
        'name_birth' as block_name,
        {{ dbt.concat(['name_sorted', "'|'", 'cast(birth_date as ' ~ dbt.type_string() ~ ')']) }} as block_value
    from profiles
    where name_sorted is not null and birth_date is not null
    union all
    select
        profile_id,
        'name_postal' as block_name,
        {{ dbt.concat(['name_sorted', "'|'", 'postal_code_std']) }} as block_value
    from profiles
    where name_sorted is not null and postal_code_std is not null
    union all
    select
        profile_id,
        'birth_postal' as block_name,
        {{ dbt.concat(['cast(birth_date as ' ~ dbt.type_string() ~ ')', "'|'", 'postal_code_std']) }} as block_value
    from profiles
    where birth_date is not null and postal_code_std is not null
),

block_sizes as (
    select
        block_name,
        block_value,
        count(*) as block_size
    from block_keys
    group by block_name, block_value
),

kept_keys as (
    select block_keys.*
    from block_keys
    inner join block_sizes
        on
            block_keys.block_name = block_sizes.block_name
            and block_keys.block_value = block_sizes.block_value
    where block_sizes.block_size between 2 and {{ var('identity_max_block_size') }}
)

select
    left_keys.profile_id as profile_id_a,
    right_keys.profile_id as profile_id_b,
    min(left_keys.block_name) as first_block_name,
    count(*) as shared_block_count
from kept_keys as left_keys
inner join kept_keys as right_keys
    on
        left_keys.block_name = right_keys.block_name
        and left_keys.block_value = right_keys.block_value
        and left_keys.profile_id < right_keys.profile_id
group by left_keys.profile_id, right_keys.profile_id
