{#- Local wall-clock moments and football seasons, for the fan marts (purchase moments,
    season of a date). Engine-specific functions sit behind adapter.dispatch. -#}

{#- A UTC timestamp as the club's local wall-clock timestamp (no time zone). -#}
{% macro utc_to_local_timestamp(column, timezone=var('club_timezone')) -%}
    {{ return(adapter.dispatch('utc_to_local_timestamp', 'grandstand')(column, timezone)) }}
{%- endmacro %}

{% macro duckdb__utc_to_local_timestamp(column, timezone) -%}
    timezone('{{ timezone }}', timezone('UTC', {{ column }}))
{%- endmacro %}

{% macro default__utc_to_local_timestamp(column, timezone) -%}
    {{ exceptions.raise_compiler_error("utc_to_local_timestamp has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- ISO day of the week of a date or timestamp: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_weekday(column) -%}
    {{ return(adapter.dispatch('iso_weekday', 'grandstand')(column)) }}
{%- endmacro %}

{% macro duckdb__iso_weekday(column) -%}
    cast(isodow({{ column }}) as integer)
{%- endmacro %}

{% macro default__iso_weekday(column) -%}
    {{ exceptions.raise_compiler_error("iso_weekday has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- English name of an ISO day number (1 = Monday). Portable. -#}
{% macro weekday_name(iso_day) -%}
    case {{ iso_day }}
        when 1 then 'Monday'
        when 2 then 'Tuesday'
        when 3 then 'Wednesday'
        when 4 then 'Thursday'
        when 5 then 'Friday'
        when 6 then 'Saturday'
        when 7 then 'Sunday'
    end
{%- endmacro %}

{#- Whether a calendar month is over by the as-of date (its last day included): the last
    month of a report is usually partial. Portable. -#}
{% macro is_complete_month(month_start, as_of_date) -%}
    (cast({{ dbt.dateadd('month', 1, month_start) }} as date) <= cast({{ dbt.dateadd('day', 1, as_of_date) }} as date))
{%- endmacro %}

{#- The season ('2026-2027') a date falls in: a season starts on the first day of month
    `season_start_month` (var) and ends the day before, a year later. Portable. -#}
{% macro season_of(date_column, years_back=0) -%}
    {%- set start_year -%}
        (extract(year from {{ date_column }}) - {{ years_back }}
            - case when extract(month from {{ date_column }}) < {{ var('season_start_month') }} then 1 else 0 end)
    {%- endset -%}
    {{ dbt.concat([
        'cast(cast(' ~ start_year ~ ' as integer) as ' ~ dbt.type_string() ~ ')',
        "'-'",
        'cast(cast(' ~ start_year ~ ' + 1 as integer) as ' ~ dbt.type_string() ~ ')'
    ]) }}
{%- endmacro %}

{#- The season `years` seasons after a season label ('2025-2026', -1 -> '2024-2025'). Portable. -#}
{% macro season_shifted(season_column, years) -%}
    {%- set start_year = 'cast(substring(' ~ season_column ~ ', 1, 4) as integer) + ' ~ years -%}
    {{ dbt.concat([
        'cast(' ~ start_year ~ ' as ' ~ dbt.type_string() ~ ')',
        "'-'",
        'cast(' ~ start_year ~ ' + 1 as ' ~ dbt.type_string() ~ ')'
    ]) }}
{%- endmacro %}

{#- A list of strings as a SQL list of quoted literals: ['a', "b'c"] -> 'a', 'b''c'. -#}
{% macro sql_string_list(values) -%}
    {%- for value in values -%}
        '{{ value | replace("'", "''") }}'{% if not loop.last %}, {% endif %}
    {%- endfor -%}
{%- endmacro %}
