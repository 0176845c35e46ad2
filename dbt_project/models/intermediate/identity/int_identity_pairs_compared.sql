-- Each candidate pair compared field by field. Comparison levels (gamma): -1 = a value
-- is missing (no evidence either way), 0 = values differ, higher = agreement (name: 1 weak
-- fuzzy, 2 strong fuzzy, 3 exact). Cannot-link rules are evaluated here too:
--   birth_conflict  both birth dates known and different;
--   name_conflict   both names known and the words they do not share are not alike
--                   (different first names on a shared email or phone; swapped first and
--                   last names and Shopify's one-field billing names share all words).
with pairs as (
    select * from {{ ref('int_identity_pairs_blocked') }}
),

profiles as (
    select * from {{ ref('int_identity_profiles_grouped') }}
),

joined as (
    select
        pairs.profile_id_a,
        pairs.profile_id_b,
        pairs.first_block_name,
        a.email_mailbox as email_a,
        b.email_mailbox as email_b,
        a.phone_e164 as phone_a,
        b.phone_e164 as phone_b,
        a.name_sorted as name_a,
        b.name_sorted as name_b,
        a.birth_date as birth_a,
        b.birth_date as birth_b,
        a.postal_code_std as postal_a,
        b.postal_code_std as postal_b,
        -- identical names (most linked pairs) need no word-by-word comparison
        case when a.name_sorted <> b.name_sorted then {{ name_leftover_words('a.name_sorted', 'b.name_sorted') }} else '' end
            as leftover_a,
        case when a.name_sorted <> b.name_sorted then {{ name_leftover_words('b.name_sorted', 'a.name_sorted') }} else '' end
            as leftover_b,
        case when a.name_sorted = b.name_sorted then 1.0 else {{ name_similarity('a.name_sorted', 'b.name_sorted') }} end
            as name_similarity
    from pairs
    inner join profiles as a on pairs.profile_id_a = a.profile_id
    inner join profiles as b on pairs.profile_id_b = b.profile_id
),

compared as (
    select
        *,
        {{ exact_level('email_a', 'email_b') }} as gamma_email,
        {{ exact_level('phone_a', 'phone_b') }} as gamma_phone,
        case
            when name_a is null or name_b is null then -1
            when name_a = name_b then 3
            when name_similarity >= {{ var('identity_name_similarity_strong') }} then 2
            when name_similarity >= {{ var('identity_name_similarity_weak') }} then 1
            else 0
        end as gamma_name,
        {{ exact_level('birth_a', 'birth_b') }} as gamma_birth,
        {{ exact_level('postal_a', 'postal_b') }} as gamma_postal,
        coalesce(birth_a <> birth_b, false) as birth_conflict,
        coalesce(
            leftover_a <> ''
            and leftover_b <> ''
            and {{ name_similarity('leftover_a', 'leftover_b') }} < {{ var('identity_name_compatible_similarity') }},
            false
        ) as name_conflict
    from joined
)

select
    profile_id_a,
    profile_id_b,
    first_block_name,
    gamma_email,
    gamma_phone,
    gamma_name,
    gamma_birth,
    gamma_postal,
    name_similarity,
    birth_conflict,
    name_conflict,
    birth_conflict or name_conflict as is_cannot_link
from compared
