{#- Parsing the text the club's tools export into typed values.
    Portable by construction where ANSI SQL suffices; engine-specific functions sit behind
    adapter.dispatch so another adapter (Spark, Trino) adds its own <adapter>__ variant. -#}

{% macro empty_as_null(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#- Text people typed (names, addresses, comments, campaign names): as empty_as_null, and
    without control characters (a NUL byte, a backspace), which would reach the report, the
    activation file and the BI tools as they are. Line breaks and tabs stay. -#}
{% macro clean_text(column) -%}
    {{ empty_as_null(regexp_replace_all(column, "'[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]'", "''")) }}
{%- endmacro %}

{#- Free text from the exports (survey comments, campaign names and subjects, link URLs): as
    clean_text, with the contact details in it redacted (macros/privacy.sql), so that no
    email or phone reaches BI through a comment or a mailto: link. -#}
{% macro free_text(column) -%}
    {{ redact_contact_details(clean_text(column)) }}
{%- endmacro %}

{#- Typed raw columns hold canonical text (orchestration/landing/value_kinds.py): ingestion
    has already turned every form the exports use (12,50 / 1 234,50, DD/MM/YYYY HH:MM, ISO
    with T and Z, O/N ...) into it, or set the row aside. So these casts are portable. -#}

{#- '-1234.50' -> decimal. -#}
{% macro parse_decimal(column, scale=2) -%}
    cast({{ empty_as_null(column) }} as decimal(18, {{ scale }}))
{%- endmacro %}

{% macro parse_integer(column) -%}
    cast({{ empty_as_null(column) }} as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- 'true' / 'false' (canonical booleans). -#}
{% macro parse_boolean(column) -%}
    case
        when {{ empty_as_null(column) }} = 'true' then true
        when {{ empty_as_null(column) }} = 'false' then false
    end
{%- endmacro %}

{#- 'YYYY-MM-DD', or 'YYYY-MM-DD HH:MM:SS[+HH:MM]' when the export carried a time: the date. -#}
{% macro parse_date(column) -%}
    cast(substring({{ empty_as_null(column) }}, 1, 10) as date)
{%- endmacro %}

{#- The time a date column carried, if any (a kickoff in match_date), as a UTC timestamp. -#}
{% macro parse_date_time_to_utc(column, timezone=var('club_timezone')) -%}
    {{ parse_timestamp_to_utc('case when length(' ~ empty_as_null(column) ~ ') > 10 then ' ~ column ~ ' end', timezone) }}
{%- endmacro %}

{#- 'YYYY-MM-DD HH:MM:SS' wall-clock time in `timezone` (the club's, or 'UTC'), or with the
    offset the export wrote ('...+02:00'), to a UTC timestamp. -#}
{% macro parse_timestamp_to_utc(column, timezone=var('club_timezone')) -%}
    {{ return(adapter.dispatch('parse_timestamp_to_utc', 'grandstand')(column, timezone)) }}
{%- endmacro %}

{% macro duckdb__parse_timestamp_to_utc(column, timezone) -%}
    case
        when length({{ empty_as_null(column) }}) > 19
            then timezone('UTC', cast({{ column }} as timestamptz))
        {%- if timezone == 'UTC' %}
        else cast({{ empty_as_null(column) }} as timestamp)
        {%- else %}
        else timezone('UTC', timezone('{{ timezone }}', cast({{ empty_as_null(column) }} as timestamp)))
        {%- endif %}
    end
{%- endmacro %}

{% macro default__parse_timestamp_to_utc(column, timezone) -%}
    {{ exceptions.raise_compiler_error("parse_timestamp_to_utc has no implementation for adapter " ~ adapter.type() ~ ": add " ~ adapter.type() ~ "__parse_timestamp_to_utc in macros/parsing.sql") }}
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
