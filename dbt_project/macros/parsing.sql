{#- Parsing the text the club's tools export into typed values.
    Portable by construction where ANSI SQL suffices; engine-specific functions sit behind
    adapter.dispatch so another adapter (Spark, Trino) adds its own <adapter>__ variant. -#}

{% macro empty_as_null(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#- 12,50 -> 12.50 (ticketing exports use a decimal comma). -#}
{% macro parse_decimal_comma(column, scale=2) -%}
    cast(replace({{ empty_as_null(column) }}, ',', '.') as decimal(18, {{ scale }}))
{%- endmacro %}

{% macro parse_decimal(column, scale=2) -%}
    cast({{ empty_as_null(column) }} as decimal(18, {{ scale }}))
{%- endmacro %}

{% macro parse_integer(column) -%}
    cast({{ empty_as_null(column) }} as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- Booleans as each tool writes them (O/N, Yes/No, yes/no/true/false); else NULL. -#}
{% macro parse_boolean(column) -%}
    case
        when lower(trim({{ column }})) in ('o', 'oui', 'y', 'yes', 'true', '1') then true
        when lower(trim({{ column }})) in ('n', 'non', 'no', 'false', '0') then false
    end
{%- endmacro %}

{#- Text to a date given a strftime-style format. -#}
{% macro parse_date(column, format) -%}
    {{ return(adapter.dispatch('parse_date', 'grandstand')(column, format)) }}
{%- endmacro %}

{% macro duckdb__parse_date(column, format) -%}
    cast(strptime({{ empty_as_null(column) }}, '{{ format }}') as date)
{%- endmacro %}

{% macro default__parse_date(column, format) -%}
    {{ exceptions.raise_compiler_error("parse_date has no implementation for adapter " ~ adapter.type() ~ ": add " ~ adapter.type() ~ "__parse_date in macros/parsing.sql") }}
{%- endmacro %}

{#- Local wall-clock text (e.g. 'DD/MM/YYYY HH:MM' in Europe/Paris) to a UTC timestamp.
    Several formats may be given; the first that parses wins. -#}
{% macro parse_local_timestamp_to_utc(column, formats, timezone=var('club_timezone')) -%}
    {{ return(adapter.dispatch('parse_local_timestamp_to_utc', 'grandstand')(column, formats, timezone)) }}
{%- endmacro %}

{% macro duckdb__parse_local_timestamp_to_utc(column, formats, timezone) -%}
    timezone('UTC', timezone('{{ timezone }}',
        try_strptime({{ empty_as_null(column) }}, [{% for f in formats %}'{{ f }}'{% if not loop.last %}, {% endif %}{% endfor %}])
    ))
{%- endmacro %}

{% macro default__parse_local_timestamp_to_utc(column, formats, timezone) -%}
    {{ exceptions.raise_compiler_error("parse_local_timestamp_to_utc has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- Text carrying its own UTC offset ('2025-10-07 09:50:26 +0200') to a UTC timestamp. -#}
{% macro parse_offset_timestamp_to_utc(column) -%}
    {{ return(adapter.dispatch('parse_offset_timestamp_to_utc', 'grandstand')(column)) }}
{%- endmacro %}

{% macro duckdb__parse_offset_timestamp_to_utc(column) -%}
    timezone('UTC', strptime({{ empty_as_null(column) }}, '%Y-%m-%d %H:%M:%S %z'))
{%- endmacro %}

{% macro default__parse_offset_timestamp_to_utc(column) -%}
    {{ exceptions.raise_compiler_error("parse_offset_timestamp_to_utc has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- UTC wall-clock text ('YYYY-MM-DD HH:MM:SS') to a timestamp. Portable cast. -#}
{% macro parse_utc_timestamp(column) -%}
    cast({{ empty_as_null(column) }} as {{ dbt.type_timestamp() }})
{%- endmacro %}

{#- Unix epoch seconds (text) to a UTC timestamp. -#}
{% macro epoch_to_utc(column) -%}
    {{ return(adapter.dispatch('epoch_to_utc', 'grandstand')(column)) }}
{%- endmacro %}

{% macro duckdb__epoch_to_utc(column) -%}
    timezone('UTC', to_timestamp(cast({{ empty_as_null(column) }} as bigint)))
{%- endmacro %}

{% macro default__epoch_to_utc(column) -%}
    {{ exceptions.raise_compiler_error("epoch_to_utc has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- A UTC timestamp to the club's local calendar date (business date). -#}
{% macro utc_to_local_date(column, timezone=var('club_timezone')) -%}
    {{ return(adapter.dispatch('utc_to_local_date', 'grandstand')(column, timezone)) }}
{%- endmacro %}

{% macro duckdb__utc_to_local_date(column, timezone) -%}
    cast(timezone('{{ timezone }}', timezone('UTC', {{ column }})) as date)
{%- endmacro %}

{% macro default__utc_to_local_date(column, timezone) -%}
    {{ exceptions.raise_compiler_error("utc_to_local_date has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- An amount of money: rounded to the cent, fixed-point (never a float). -#}
{% macro money(expression) -%}
    cast(round({{ expression }}, 2) as decimal(18, 2))
{%- endmacro %}

{#- Seconds since 1970-01-01 of a timestamp. -#}
{% macro epoch_seconds(column) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'grandstand')(column)) }}
{%- endmacro %}

{% macro duckdb__epoch_seconds(column) -%}
    epoch({{ column }})
{%- endmacro %}

{% macro default__epoch_seconds(column) -%}
    {{ dbt.datediff("cast('1970-01-01' as timestamp)", column, 'second') }}
{%- endmacro %}
