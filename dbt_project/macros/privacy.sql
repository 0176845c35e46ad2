{#- What BI may see of a person in place of a direct identifier (the BI file withholds the
    columns declared `personal_data` in the marts' YAML: orchestration/privacy.py). -#}

{#- Whole years from `birth_date` to `as_of_date` (an exact age: the birthday counts once
    it is reached). -#}
{% macro age_in_years(birth_date, as_of_date) -%}
    ({{ dbt.datediff(birth_date, as_of_date, 'year') }}
    - case
        when extract(month from {{ as_of_date }}) * 100 + extract(day from {{ as_of_date }})
            < extract(month from {{ birth_date }}) * 100 + extract(day from {{ birth_date }})
            then 1
        else 0
    end)
{%- endmacro %}

{#- The age band of a birth date at `as_of_date`, from var privacy_age_band_starts
    ([18, 25, 65] -> 'under 18', '18-24', '25-64', '65+'); NULL without a birth date. -#}
{% macro age_band(birth_date, as_of_date) -%}
    {%- set starts = var('privacy_age_band_starts') -%}
    {%- set age = age_in_years(birth_date, as_of_date) -%}
    case
        when {{ birth_date }} is null then null
        when {{ age }} < {{ starts[0] }} then 'under {{ starts[0] }}'
        {%- for start in starts[1:] %}
        when {{ age }} < {{ start }} then '{{ starts[loop.index0] }}-{{ start - 1 }}'
        {%- endfor %}
        else '{{ starts[-1] }}+'
    end
{%- endmacro %}

{#- A postal code's area: its first postal_area_length characters. -#}
{% macro postal_area(postal_code) -%}
    substring({{ postal_code }}, 1, {{ var('postal_area_length') }})
{%- endmacro %}

{#- Free text with the email addresses and phone numbers in it replaced by [email] and
    [phone] (a survey comment may carry the fan's contact details, a link a mailto:). A phone
    is an international number (+ and 8 to 15 digits) or a French one (0 and nine digits in
    pairs): dates (20.11.2026) and long ids are neither. -#}
{% macro redact_contact_details(text) -%}
    {{ regexp_replace_all(
        regexp_replace_all(text, "'[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+[.][A-Za-z]{2,}'", "'[email]'"),
        "'[+][0-9]{1,3}([ .-]?[0-9]){7,12}|\\b0[1-9]([ .-]?[0-9]{2}){4}\\b'", "'[phone]'") }}
{%- endmacro %}
