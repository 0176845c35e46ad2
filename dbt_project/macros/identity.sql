{#- Standardisation used for matching. Kept in macros so identity resolution, facts and
    tests apply one definition. -#}

{#- Trimmed, lower-case email; NULL when empty or without '@'. -#}
{% macro normalize_email(column) -%}
    case when {{ column }} like '%@%' then lower(trim({{ column }})) end
{%- endmacro %}

{#- Latest non-null value of `value` within a group, by `order_by` (survivorship). -#}
{% macro latest_non_null(value, order_by) -%}
    {{ return(adapter.dispatch('latest_non_null', 'grandstand')(value, order_by)) }}
{%- endmacro %}

{% macro duckdb__latest_non_null(value, order_by) -%}
    max_by({{ value }}, {{ order_by }}) filter (where {{ value }} is not null)
{%- endmacro %}

{% macro default__latest_non_null(value, order_by) -%}
    {{ exceptions.raise_compiler_error("latest_non_null has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- A stable, opaque identifier from a text key: 'F' + 16 hex digits of its md5. -#}
{% macro surrogate_id(prefix, key) -%}
    {{ dbt.concat(["'" ~ prefix ~ "'", dbt.right(dbt.hash(key), "16")]) }}
{%- endmacro %}
