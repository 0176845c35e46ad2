-- Each candidate pair compared on every comparison of macros/identity_model.sql (gamma:
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
with pairs as (
    select * from {{ ref('int_identity_pairs_blocked') }}
),

profiles as (
    select * from {{ ref('int_identity_profiles_grouped') }}
),

sides as (
    select
        pairs.profile_key_a,
        pairs.profile_key_b,
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
