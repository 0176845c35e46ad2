-- Profiles whose candidate pairs int_identity_pairs_compared computes again this build:
-- between the build of int_identity_block_keys_listed the pairs were computed from (its
-- oldest) and this one (its newest), the profile is new or gone, or its fingerprint
-- changed (a column a comparison or a blocking key reads); or it is in a block kept in one
-- build and skipped in the other (a block only changes size when a changed profile enters
-- or leaves it: it grew past identity_max_block_size, or shrank below it). A pair of two
-- profiles not listed here compares and blocks as it did: the same columns, and the same
-- kept blocks in common. Empty on a first build.
with block_keys as (
    select * from {{ ref('int_identity_block_keys_listed') }}
),

builds as (
    select
        min(built_at) as previous_build,
        max(built_at) as current_build
    from block_keys
),

previous_profiles as (
    select distinct
        block_keys.profile_key,
        block_keys.profile_fingerprint
    from block_keys
    inner join builds on block_keys.built_at = builds.previous_build
),

current_profiles as (
    select distinct
        block_keys.profile_key,
        block_keys.profile_fingerprint
    from block_keys
    inner join builds on block_keys.built_at = builds.current_build
),

changed_profiles as (
    select coalesce(current_profiles.profile_key, previous_profiles.profile_key) as profile_key
    from current_profiles
    full outer join previous_profiles on current_profiles.profile_key = previous_profiles.profile_key
    where
        current_profiles.profile_key is null
        or previous_profiles.profile_key is null
        or current_profiles.profile_fingerprint <> previous_profiles.profile_fingerprint
),

-- the blocks a changed profile is in, or was in
touched_blocks as (
    select distinct
        block_keys.block_name,
        block_keys.block_value
    from block_keys
    inner join changed_profiles on block_keys.profile_key = changed_profiles.profile_key
),

-- their keys in the two builds
touched_keys as (
    select block_keys.*
    from block_keys
    inner join builds on block_keys.built_at in (builds.previous_build, builds.current_build)
    inner join touched_blocks
        on
            block_keys.block_name = touched_blocks.block_name
            and block_keys.block_value = touched_blocks.block_value
),

flipped_blocks as (
    select
        touched_keys.block_name,
        touched_keys.block_value
    from touched_keys
    cross join builds
    group by touched_keys.block_name, touched_keys.block_value, builds.previous_build, builds.current_build
    having
        {{ identity_block_is_kept('sum(case when touched_keys.built_at = builds.previous_build then 1 else 0 end)') }}
        <> {{ identity_block_is_kept('sum(case when touched_keys.built_at = builds.current_build then 1 else 0 end)') }}
)

select profile_key from changed_profiles
union
select touched_keys.profile_key
from touched_keys
inner join builds on touched_keys.built_at = builds.current_build
inner join flipped_blocks
    on
        touched_keys.block_name = flipped_blocks.block_name
        and touched_keys.block_value = flipped_blocks.block_value
