{{ config(materialized='incremental', incremental_strategy='append') }}
-- The blocking keys each profile holds (identity_blocking_rules, macros/identity_model.sql),
-- with the profile's fingerprint (int_identity_profiles_grouped). Each build appends its
-- rows (built_at), and int_identity_pairs_compared forgets the builds before the one it
-- used, so the oldest build held is always the one the candidate pairs were computed from:
-- what changed since then is what int_identity_profiles_changed lists. A full refresh
-- keeps only the build's own rows.
with profiles as (
    select * from {{ ref('int_identity_profiles_grouped') }}
)

{%- for rule, parts in identity_blocking_rules().items() %}
    select
        profile_key,
        profile_fingerprint,
        '{{ rule }}' as block_name,
        {{ 2 ** loop.index0 }} as rule_bit,
        {{ identity_block_key(parts) }} as block_value,
        {{ run_started_at_timestamp() }} as built_at
    from profiles
    where
        {%- for part in parts %}
            {% if not loop.first %}and {% endif %}{{ part }} is not null
        {%- endfor %}
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
