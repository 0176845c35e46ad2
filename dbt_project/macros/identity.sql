{#- Standardisation used for matching. One definition, used by identity resolution, the
    facts that attach records by email, and tests. Engine-specific pieces are dispatched. -#}

{#- Trimmed, lower-case email; NULL when empty or without '@'. -#}
{% macro normalize_email(column) -%}
    case when {{ column }} like '%@%' then lower(trim({{ column }})) end
{%- endmacro %}

{#- The mailbox an address delivers to: normalised, without a '+alias' (a+club@x.fr -> a@x.fr). -#}
{% macro email_mailbox(column) -%}
    {{ regexp_replace_all(normalize_email(column), "'[+][^@]*@'", "'@'") }}
{%- endmacro %}

{% macro regexp_replace_all(column, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'grandstand')(column, pattern, replacement)) }}
{%- endmacro %}

{% macro duckdb__regexp_replace_all(column, pattern, replacement) -%}
    regexp_replace({{ column }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{% macro spark__regexp_replace_all(column, pattern, replacement) -%}
    regexp_replace({{ column }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}

{% macro default__regexp_replace_all(column, pattern, replacement) -%}
    {{ exceptions.raise_compiler_error("regexp_replace_all has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- The digits of a phone number, for phone_e164. -#}
{% macro phone_digits(column) -%}
    {{ regexp_replace_all(column, "'[^0-9]'", "''") }}
{%- endmacro %}

{#- A phone in E.164, from the raw text and its digits (phone_digits, computed once
    upstream: the rules below read them many times). French forms (06 12 34 56 78,
    0612345678, +33 6 12 34 56 78, 0033612345678, 6.12.34.56.78 with the 0 lost,
    +33 (0)6...) become +33612345678; international forms (+44..., 0044...) keep their
    country code; anything else NULL. -#}
{% macro phone_e164(column, digits) -%}
    {%- set international = "(trim(" ~ column ~ ") like '+%' or trim(" ~ column ~ ") like '00%')" -%}
    case
        when {{ column }} is null or {{ digits }} = '' then null
        when {{ international }} and {{ digits }} like '0033%'
            then {{ dbt.concat(["'+33'", regexp_replace_all(dbt.right(digits, dbt.length(digits) ~ " - 4"), "'^0'", "''")]) }}
        when {{ international }} and {{ digits }} like '33%'
            then {{ dbt.concat(["'+33'", regexp_replace_all(dbt.right(digits, dbt.length(digits) ~ " - 2"), "'^0'", "''")]) }}
        when {{ international }} and {{ digits }} like '00%'
            then {{ dbt.concat(["'+'", dbt.right(digits, dbt.length(digits) ~ " - 2")]) }}
        when {{ international }} then {{ dbt.concat(["'+'", digits]) }}
        when {{ dbt.length(digits) }} = 10 and {{ digits }} like '0%'
            then {{ dbt.concat(["'+33'", dbt.right(digits, "9")]) }}
        when {{ dbt.length(digits) }} = 9 and {{ digits }} not like '0%'
            then {{ dbt.concat(["'+33'", digits]) }}
        when {{ dbt.length(digits) }} = 11 and {{ digits }} like '33%'
            then {{ dbt.concat(["'+'", digits]) }}
    end
{%- endmacro %}

{#- A name for comparison: lower case, no accents, ligatures spelled out, hyphens and
    apostrophes (’ or ') as spaces, single spaces: 'Jean-Pierre N’Diaye' -> 'jean pierre n diaye'. -#}
{% macro standardize_name(column, kept_characters='a-z') -%}
    {%- set plain = "replace(replace(lower(" ~ strip_accents("trim(" ~ column ~ ")") ~ "), 'œ', 'oe'), 'æ', 'ae')" -%}
    nullif(trim({{ regexp_replace_all(regexp_replace_all(plain, "'[^" ~ kept_characters ~ "]'", "' '"), "' +'", "' '") }}), '')
{%- endmacro %}

{#- An address or city for comparison: as standardize_name, digits kept ('12, Rue de l’Église' -> '12 rue de l eglise'). -#}
{% macro standardize_address(column) -%}
    {{ standardize_name(column, 'a-z0-9') }}
{%- endmacro %}

{% macro strip_accents(column) -%}
    {{ return(adapter.dispatch('strip_accents', 'grandstand')(column)) }}
{%- endmacro %}

{% macro duckdb__strip_accents(column) -%}
    strip_accents({{ column }})
{%- endmacro %}

{% macro default__strip_accents(column) -%}
    {{ exceptions.raise_compiler_error("strip_accents has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- The words of a text in alphabetical order, so that 'Sophie GALLAS', 'gallas sophie'
    and first/last swapped all compare equal, and so do '12 rue x bat b' and 'bat b 12 rue x'. -#}
{% macro sorted_words(column) -%}
    {{ return(adapter.dispatch('sorted_words', 'grandstand')(column)) }}
{%- endmacro %}

{% macro duckdb__sorted_words(column) -%}
    array_to_string(list_sort(string_split({{ column }}, ' ')), ' ')
{%- endmacro %}

{% macro default__sorted_words(column) -%}
    {{ exceptions.raise_compiler_error("sorted_words has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- String similarity in [0, 1] (Jaro-Winkler). -#}
{% macro name_similarity(left, right) -%}
    {{ return(adapter.dispatch('name_similarity', 'grandstand')(left, right)) }}
{%- endmacro %}

{% macro duckdb__name_similarity(left, right) -%}
    jaro_winkler_similarity({{ left }}, {{ right }})
{%- endmacro %}

{% macro default__name_similarity(left, right) -%}
    {{ exceptions.raise_compiler_error("name_similarity has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- French postal code with its leading zero restored (1000 -> 01000); others kept. -#}
{% macro postal_code_standardized(column) -%}
    {%- set digits = regexp_replace_all(column, "'[^0-9A-Za-z]'", "''") -%}
    case
        when {{ digits }} = '' then null
        when {{ dbt.length(digits) }} = 4 and {{ regexp_replace_all(digits, "'[0-9]'", "''") }} = ''
            then {{ dbt.concat(["'0'", digits]) }}
        else upper({{ digits }})
    end
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

{#- A stable, opaque identifier from a text key: prefix + 16 hex digits of its md5. -#}
{% macro surrogate_id(prefix, key) -%}
    {{ dbt.concat(["'" ~ prefix ~ "'", dbt.right(dbt.hash(key), "16")]) }}
{%- endmacro %}

{#- A stable integer key for an md5 hex id (a profile id): its first 15 hex digits (60
    bits), so keys follow the ids' order and stay the same from night to night, which lets
    candidate pairs be kept between nights (int_identity_pairs_compared). Two ids sharing
    15 digits would share a key: the unique test on the key stops the build then. -#}
{% macro hex_id_key(column) -%}
    {{ return(adapter.dispatch('hex_id_key', 'grandstand')(column)) }}
{%- endmacro %}

{% macro duckdb__hex_id_key(column) -%}
    cast('0x' || substring({{ column }}, 1, 15) as bigint)
{%- endmacro %}

{% macro spark__hex_id_key(column) -%}
    cast(conv(substring({{ column }}, 1, 15), 16, 10) as bigint)
{%- endmacro %}

{% macro default__hex_id_key(column) -%}
    {{ exceptions.raise_compiler_error("hex_id_key has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}
