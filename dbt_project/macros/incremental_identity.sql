{#- Incremental candidate pairs (int_identity_pairs_compared). Profile keys are stable from
    night to night (hex_id_key), so a pair of two profiles that did not change, whose shared
    blocks did not change either, keeps its row; int_identity_profiles_changed lists the
    profiles whose pairs are computed again, from the two builds of blocking keys it
    compares (int_identity_block_keys_listed). The nickname and gendered-name tables and
    the macros the comparisons read are covered by the incremental fingerprints
    (orchestration/dbt.py): when they change, the night rebuilds the pairs whole. -#}

{#- Pre-hook: the pairs of changed profiles go; the model inserts their new ones. -#}
{% macro forget_pairs_of_changed_profiles() -%}
    {%- if is_incremental() %}
        {%- set changed = ref('int_identity_profiles_changed') %}
        delete from {{ this }}
        where
            profile_key_a in (select profile_key from {{ changed }})
            or profile_key_b in (select profile_key from {{ changed }})
    {%- endif %}
{%- endmacro %}

{#- Post-hook: the builds of blocking keys before the one the pairs now hold are forgotten,
    so the oldest build left is the pairs' own (a night that failed in between leaves its
    build there, and the next night compares with the pairs' build still). -#}
{% macro forget_older_block_keys() -%}
    {%- set keys = ref('int_identity_block_keys_listed') %}
    delete from {{ keys }}
    where built_at < (select max(built_at) from {{ keys }})
{%- endmacro %}
