{#- Incremental staging of a delta export. A night rebuilds only the business keys its loads
    touched, from every raw version of each, so the table holds what a full refresh would
    build (tests/test_incremental_nights.py compares the two):
    - forget_replaced_loads, the model's pre-hook, drops the rows of loads raw no longer
      holds: a file exported again under the same name replaced its rows (orchestration/
      landing/), and a key it no longer has must go;
    - only_keys_to_rebuild then keeps the raw rows of the keys loaded since the newest load
      the table holds, and of the keys raw has but the table lacks (those just dropped).
    The model is incremental with the delete+insert strategy on its key: each rebuilt key's
    rows replace the ones it had. Ingestion stamps each file's load (_loaded_at) and nights
    never overlap (the run lock), so no load older than the newest one held is unseen.
    After a change of a model's SQL, the night rebuilds it whole (orchestration/dbt.py). -#}

{% macro forget_replaced_loads(raw_relation) -%}
    {%- if is_incremental() %}
        delete from {{ this }} as held
        where not exists (
            select 1 from {{ raw_relation }} as loaded
            where loaded._source_file = held._source_file and loaded._loaded_at = held._loaded_at
        )
    {%- endif %}
{%- endmacro %}

{#- A where clause on the model's raw source (none on a full build): `raw_key` is the key's
    expression on raw columns, `key` its column in the model. -#}
{% macro only_keys_to_rebuild(raw_relation, raw_key, key) -%}
    {%- if is_incremental() %}
        where {{ raw_key }} in (
            (
                select {{ raw_key }} from {{ raw_relation }}
                where _loaded_at > (select max(_loaded_at) from {{ this }})
            )
            union
            (
                select {{ raw_key }} from {{ raw_relation }}
                except
                select {{ key }} from {{ this }}
            )
        )
    {%- endif %}
{%- endmacro %}
