{#- Keep one row per business key: the first by `order_by` (e.g. newest export first).
    Portable: a window function in a subquery (no QUALIFY, which Spark and Trino lack).
    The caller selects its columns explicitly, which drops the helper rank column. -#}
{% macro dedupe(relation, partition_by, order_by) -%}
    select *
    from (
        select
            deduped_source.*,
            row_number() over (partition by {{ partition_by }} order by {{ order_by }}) as dedupe_rank
        from {{ relation }} as deduped_source
    ) as ranked
    where dedupe_rank = 1
{%- endmacro %}
