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

{#- The newest non-null value of `column` per `partition_by` by `order_by` (the newest
    first): in a snapshot, null means the export did not have the column (unknown), so the
    newest snapshot that had it still speaks. -#}
{% macro newest_known(column, partition_by, order_by) -%}
    {{ return(adapter.dispatch('newest_known', 'grandstand')(column, partition_by, order_by)) }}
{%- endmacro %}

{% macro default__newest_known(column, partition_by, order_by) -%}
    first_value({{ column }} ignore nulls) over (
        partition by {{ partition_by }} order by {{ order_by }}
        rows between unbounded preceding and unbounded following
    )
{%- endmacro %}

{% macro spark__newest_known(column, partition_by, order_by) -%}
    first({{ column }}, true) over (
        partition by {{ partition_by }} order by {{ order_by }}
        rows between unbounded preceding and unbounded following
    )
{%- endmacro %}

{#- A snapshot's columns, each with its newest known value per key (see newest_known): a
    column a newer snapshot lacked keeps the value of the newest snapshot that had it. -#}
{% macro newest_known_columns(columns, partition_by, order_by='_export_date desc, _source_file desc, _source_line desc') -%}
    {%- for column in columns %}
    {{ newest_known(column, partition_by, order_by) }} as {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
