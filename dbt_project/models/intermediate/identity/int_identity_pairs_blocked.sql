-- Candidate pairs of profiles: profiles sharing the key of at least one blocking rule
-- (macros/identity_model.sql), never all pairs. One row per pair, with a flag per rule
-- that found it (`make bench` reports each rule's pairs and the true pairs it reaches).
-- A key shared by more than `identity_max_block_size` profiles is skipped: it identifies
-- nobody, and pairing it would explode. Pairs are of profile keys (integers), like every
-- candidate-pair model's.
{%- set rules = identity_blocking_rules() %}
with profiles as (
    select * from {{ ref('int_identity_profiles_grouped') }}
),

block_keys as (
    {%- for rule, parts in rules.items() %}
        select
            profile_key,
            '{{ rule }}' as block_name,
            {{ 2 ** loop.index0 }} as rule_bit,
            {{ identity_block_key(parts) }} as block_value
        from profiles
        where
            {%- for part in parts %}
                {% if not loop.first %}and {% endif %}{{ part }} is not null
            {%- endfor %}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
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
),

-- One sum of the rules' bits per pair (a pair shares each rule's key once at most), not
-- one aggregate per rule: grouping the pairs was most of this model's time.
rules_shared as (
    select
        left_keys.profile_key as profile_key_a,
        right_keys.profile_key as profile_key_b,
        sum(left_keys.rule_bit) as rule_bits,
        count(*) as shared_block_count
    from kept_keys as left_keys
    inner join kept_keys as right_keys
        on
            left_keys.block_name = right_keys.block_name
            and left_keys.block_value = right_keys.block_value
            and left_keys.profile_key < right_keys.profile_key
    group by left_keys.profile_key, right_keys.profile_key
)

select
    profile_key_a,
    profile_key_b,
    {%- for rule in rules %}
        floor(rule_bits / {{ 2 ** loop.index0 }}) % 2 = 1 as blocked_by_{{ rule }},
    {%- endfor %}
    shared_block_count
from rules_shared
