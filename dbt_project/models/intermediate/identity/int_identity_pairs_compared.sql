{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ forget_pairs_of_changed_profiles() }}",
    post_hook="{{ forget_older_block_keys() }}"
) }}
-- depends_on: {{ ref('int_identity_profiles_changed') }}
-- Candidate pairs of profiles: profiles sharing the key of at least one blocking rule
-- (macros/identity_model.sql), never all pairs, with a blocked_by_<rule> flag per rule that
-- found the pair (`make bench` reports each rule's pairs and the true pairs it reaches). A
-- key shared by more than identity_max_block_size profiles is skipped: it identifies
-- nobody, and pairing it would explode. Pairs are of profile keys (integers, stable from
-- night to night), the smaller first.
-- Incremental: a night computes again only the pairs of the profiles
-- int_identity_profiles_changed lists (the pre-hook forgets their old pairs); every other
-- pair is the same as a full build would make (tests/test_incremental_nights.py).
-- Each pair is compared on every comparison of macros/identity_model.sql (gamma:
-- -1 a value is missing, 0 different, higher = closer agreement). Disagreement is evidence
-- against a link, weighed by the learnt weights, never a veto by itself. One cannot-link
-- rule remains, where it is safe: two profiles sharing a mailbox or phone (a family's),
-- each with a first name, whose names hold words the other lacks that cannot be one name
-- (Marie Rey / Julien Rey, in whichever field order; not a typo or initials apart:
-- names_may_be_one) and whose birth dates do not agree (different, or unknown on a side)
-- are two people of one household -- unless a first name agrees in either record's own
-- field order (Sophie Martin / Sophie Gallas: a surname changed at marriage). Measured at
-- 100,000 generated fans: when typos, initials and nameless records counted as other
-- people, 2,806 vetoes stood between one person's own records.
-- meets_link_requirements: identity_link_requirements; is_personal_mailbox_match:
-- identity_personal_mailbox_rule (macros/identity_model.sql). Everything a
-- household shares (mailbox, phone, address, surname) would otherwise outweigh the one
-- field that tells them apart.
{%- set rules = identity_blocking_rules() %}
with block_keys as (
    select * from {{ ref('int_identity_block_keys_listed') }}
),

newest_build as (
    select max(built_at) as built_at from block_keys
),

current_keys as (
    select block_keys.*
    from block_keys
    inner join newest_build on block_keys.built_at = newest_build.built_at
),

block_sizes as (
    select
        block_name,
        block_value,
        count(*) as block_size
    from current_keys
    group by block_name, block_value
),

kept_keys as (
    select current_keys.*
    from current_keys
    inner join block_sizes
        on
            current_keys.block_name = block_sizes.block_name
            and current_keys.block_value = block_sizes.block_value
    where {{ identity_block_is_kept('block_sizes.block_size') }}
),

{% if is_incremental() %}
    changed as (
        select profile_key from {{ ref('int_identity_profiles_changed') }}
    ),

    -- each (pair, shared key) a changed profile is in, once: from the changed side with the
    -- smaller key when both changed
    pair_keys as (
        select
            least(changed_keys.profile_key, other_keys.profile_key) as profile_key_a,
            greatest(changed_keys.profile_key, other_keys.profile_key) as profile_key_b,
            changed_keys.rule_bit
        from kept_keys as changed_keys
        inner join changed on changed_keys.profile_key = changed.profile_key
        inner join kept_keys as other_keys
            on
                changed_keys.block_name = other_keys.block_name
                and changed_keys.block_value = other_keys.block_value
                and changed_keys.profile_key <> other_keys.profile_key
        left join changed as other_changed on other_keys.profile_key = other_changed.profile_key
        where changed_keys.profile_key < other_keys.profile_key or other_changed.profile_key is null
    ),
{% else %}
    pair_keys as (
        select
            left_keys.profile_key as profile_key_a,
            right_keys.profile_key as profile_key_b,
            left_keys.rule_bit
        from kept_keys as left_keys
        inner join kept_keys as right_keys
            on
                left_keys.block_name = right_keys.block_name
                and left_keys.block_value = right_keys.block_value
                and left_keys.profile_key < right_keys.profile_key
    ),
{% endif %}

-- One sum of the rules' bits per pair (a pair shares each rule's key once at most), not
-- one aggregate per rule: grouping the pairs was most of blocking's time.
pairs as (
    select
        profile_key_a,
        profile_key_b,
        sum(rule_bit) as rule_bits,
        count(*) as shared_block_count
    from pair_keys
    group by profile_key_a, profile_key_b
),

profiles as (
    select * from {{ ref('int_identity_profiles_grouped') }}
),

sides as (
    select
        pairs.profile_key_a,
        pairs.profile_key_b,
        pairs.rule_bits,
        pairs.shared_block_count,
        {{ identity_pair_sides('a', 'b') }}
    from pairs
    inner join profiles as a on pairs.profile_key_a = a.profile_key
    inner join profiles as b on pairs.profile_key_b = b.profile_key
),

compared as (
    {{ identity_compare('sides') }}
),

-- Expensive expressions sit behind a CASE: its THEN runs only on the rows its WHEN lets
-- through, where both sides of an AND are always evaluated (on millions of pairs).
-- Word-by-word names only for the cannot-link rule: a shared mailbox or phone, two names.
leftovers as (
    select
        *,
        case
            when (gamma_email = 3 or gamma_phone = 2) and name_sorted_l <> name_sorted_r
                then {{ name_leftover_words('name_sorted_l', 'name_sorted_r') }}
            else ''
        end as leftover_words_l,
        case
            when (gamma_email = 3 or gamma_phone = 2) and name_sorted_l <> name_sorted_r
                then {{ name_leftover_words('name_sorted_r', 'name_sorted_l') }}
            else ''
        end as leftover_words_r
    from compared
)

select
    profile_key_a,
    profile_key_b,
    {%- for rule in rules %}
        floor(rule_bits / {{ 2 ** loop.index0 }}) % 2 = 1 as blocked_by_{{ rule }},
    {%- endfor %}
    shared_block_count,
    {%- for comparison in identity_comparisons() %}
        gamma_{{ comparison.name }},
    {%- endfor %}
    case
        when
            (gamma_email = 3 or gamma_phone = 2)
            and gamma_birth_date <= 0
            -- two first names to tell apart: a record without one is no other person
            and gamma_first_name >= 0
            -- a first name agreeing in either record's own field order (for a pair aligned by
            -- swapping one record's fields, either agreeing field is one record's first name):
            -- a surname changed (marriage)
            and not (gamma_first_name >= 1 or (is_name_swapped and gamma_last_name >= 1))
            and leftover_words_l <> ''
            and leftover_words_r <> ''
            then coalesce(not {{ names_may_be_one('leftover_words_l', 'leftover_words_r') }}, false)
        else false
    end as is_cannot_link,
    {%- set requirements = identity_link_requirements() %}
    coalesce(({{ requirements.values() | join(') and (') }}), false) as meets_link_requirements,
    case when gamma_email = 3 then coalesce({{ identity_personal_mailbox_rule() }}, false) else false end
        as is_personal_mailbox_match
from leftovers
