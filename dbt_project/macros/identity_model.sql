{#- The identity model, declared once: what is compared, how pairs are found, how weights
    are learnt. Every identity model reads these declarations (pairs compared, random pairs,
    weights, scores, the blocking-rule report); adding a comparison means editing this file
    only. Pair columns are `<profile column>_l` / `<profile column>_r` (one row per pair,
    first and last names already aligned when a record swaps them). -#}

{#- Comparisons: per field, graded levels, best first; the first condition that holds gives
    the level. A pair missing the value on either side gets level -1 (no evidence).
    `pair_columns`: the profile columns (int_identity_records_standardized) its conditions
    read, `<column>_l` / `<column>_r`. `tf`
    names the column whose value frequency adjusts the top level's weight (sharing a rare
    surname is stronger evidence than sharing "martin"); `tf_columns`, where the value is
    counted: a name's frequency is counted in both name fields, so that "girard" typed as
    a first name (a swapped record) or "sophie durand" (a compound first name split
    wrongly) does not pass for a rare first name. A mailbox slip is a letter typed
    wrong (gmial.com); two mailboxes differing only in digits or separators (leo.durand92,
    leo_durand89) are how namesakes get distinct addresses, not a typo. A local part made of
    the name alone (marie.martin@gmail.com, marie.martin@orange.fr) says the name again: on
    another domain it is no evidence (namesakes pick the same one; measured at 100,000
    generated fans, 6 in 7 such pairs in one postal code were two people); with digits or
    anything more it still is. Postal code, city and street address
    say one thing (where the person lives): one `location` comparison, so that a household's
    shared address is not counted three times. A street address agrees with its words in
    any order (the flat or building line typed first or last); a similar one needs the same
    house number (one typo apart at most: 12 / 21) in the same area (postal code or city
    one typo apart: 69003 / 69030, Villeurbane): one street holds many households, and
    namesakes at 29 and 76 chemin des Oeillets are two people (measured on FEBRL 3 and 4
    and 5,000 generated fans with such slips: FEBRL4 recall 0.974 -> 0.980 at precision
    1.0; generated core precision 0.9889 -> 0.9893). Levels are evidence, never vetoes:
    their weights are learnt (int_identity_match_weights_estimated). -#}
{% macro identity_comparisons() -%}
    {%- set strong = var('identity_name_similarity_strong') -%}
    {%- set weak = var('identity_name_similarity_weak') -%}
    {%- set postal_one_typo = within_one_typo('postal_code_std_l', 'postal_code_std_r') -%}
    {%- set same_area = '(coalesce(' ~ postal_one_typo ~ ', false) or coalesce('
        ~ within_one_typo('city_std_l', 'city_std_r') ~ ', false))' -%}
    {%- set house_number_alike = within_one_typo('house_number_l', 'house_number_r') -%}
    {{ return([
        {'name': 'email', 'column': 'email_mailbox', 'tf': true,
         'pair_columns': ['email_mailbox', 'email_local', 'email_letters'],
         'missing': 'email_mailbox_l is null or email_mailbox_r is null or case'
            ~ ' when email_local_l = email_local_r and email_mailbox_l <> email_mailbox_r then not '
            ~ within_one_typo('email_mailbox_l', 'email_mailbox_r')
            ~ ' and (email_local_is_name_l or email_local_is_name_r) else false end',
         'levels': [
            [3, 'same mailbox', 'email_mailbox_l = email_mailbox_r'],
            [2, 'mailbox one letter slip apart', within_one_typo('email_mailbox_l', 'email_mailbox_r')
                ~ ' and email_letters_l <> email_letters_r'],
            [1, 'same local part, other domain', 'email_local_l = email_local_r'],
            [0, 'different', 'true'],
        ]},
        {'name': 'phone', 'column': 'phone_e164', 'tf': false, 'pair_columns': ['phone_e164'], 'levels': [
            [2, 'same number', 'phone_e164_l = phone_e164_r'],
            [1, 'one digit apart', edit_distance('phone_e164_l', 'phone_e164_r') ~ ' <= 1'],
            [0, 'different', 'true'],
        ]},
        {'name': 'first_name', 'column': 'first_name_std', 'tf': true, 'tf_columns': ['first_name_std', 'last_name_std'],
         'pair_columns': ['first_name_std', 'name_sorted'], 'levels': [
            [4, 'same first name', 'first_name_std_l = first_name_std_r or name_sorted_l = name_sorted_r'],
            [3, 'nickname of each other', 'is_nickname_pair'],
            [2, 'similar (Jaro-Winkler >= ' ~ strong ~ ')', 'not is_gendered_pair and '
                ~ name_similarity('first_name_std_l', 'first_name_std_r') ~ ' >= ' ~ strong],
            [1, 'close (Jaro-Winkler >= ' ~ weak ~ '), shortened or initial (Marie-Claire / Marie / M.)',
                'not is_gendered_pair and (' ~ name_similarity('first_name_std_l', 'first_name_std_r') ~ ' >= ' ~ weak
                ~ ' or ' ~ dbt.position('first_name_std_l', 'first_name_std_r') ~ ' = 1'
                ~ ' or ' ~ dbt.position('first_name_std_r', 'first_name_std_l') ~ ' = 1)'],
            [0, 'different (masculine and feminine forms of a name too: Jean / Jeanne)', 'true'],
        ]},
        {'name': 'last_name', 'column': 'last_name_std', 'tf': true, 'tf_columns': ['first_name_std', 'last_name_std'],
         'pair_columns': ['last_name_std', 'name_sorted'], 'levels': [
            [3, 'same surname', 'last_name_std_l = last_name_std_r or name_sorted_l = name_sorted_r'],
            [2, 'similar (Jaro-Winkler >= ' ~ strong ~ ')', name_similarity('last_name_std_l', 'last_name_std_r') ~ ' >= ' ~ strong],
            [1, 'close (Jaro-Winkler >= ' ~ weak ~ ')', name_similarity('last_name_std_l', 'last_name_std_r') ~ ' >= ' ~ weak],
            [0, 'different', 'true'],
        ]},
        {'name': 'birth_date', 'column': 'birth_date_text', 'tf': false,
         'pair_columns': ['birth_date_text', 'birth_date_swapped'], 'levels': [
            [3, 'same date', 'birth_date_text_l = birth_date_text_r'],
            [2, 'one typo apart or day and month swapped', within_one_typo('birth_date_text_l', 'birth_date_text_r')
                ~ ' or birth_date_swapped_l = birth_date_text_r'],
            [1, 'same year or two digits apart', 'substring(birth_date_text_l, 1, 4)' ~ ' = ' ~ 'substring(birth_date_text_r, 1, 4)'
                ~ ' or ' ~ edit_distance('birth_date_text_l', 'birth_date_text_r') ~ ' <= 2'],
            [0, 'different', 'true'],
        ]},
        {'name': 'location', 'tf': false,
         'pair_columns': ['address_std', 'address_sorted', 'postal_code_std', 'city_std', 'house_number'],
         'missing': 'coalesce(address_std_l, postal_code_std_l, city_std_l) is null or coalesce(address_std_r, postal_code_std_r, city_std_r) is null',
         'levels': [
            [5, 'same street address (its words in any order)', 'address_sorted_l = address_sorted_r'],
            [4, 'similar street address and house number, same area (postal code or city one typo apart at most)',
                'case when ' ~ same_area ~ ' and ' ~ house_number_alike ~ ' then greatest(' ~ name_similarity('address_std_l', 'address_std_r') ~ ', '
                ~ name_similarity('address_sorted_l', 'address_sorted_r') ~ ') >= ' ~ strong ~ ' else false end'],
            [3, 'same postal code', 'postal_code_std_l = postal_code_std_r'],
            [2, 'same city, postal code one typo apart', 'city_std_l = city_std_r and ' ~ postal_one_typo],
            [1, 'same city, or postal code one typo apart', 'city_std_l = city_std_r or ' ~ postal_one_typo],
            [0, 'different', 'true'],
        ]},
    ]) }}
{%- endmacro %}

{#- Blocking rules: profiles sharing a rule's key become a candidate pair. Several rules,
    so that a typo in one field still leaves another key in common (the recall each rule
    reaches is printed by `make bench`). Keys shared by more than identity_max_block_size
    profiles are skipped: they identify nobody. There is no rule on one name alone
    (homonyms: name agreement alone can never reach the link threshold). -#}
{% macro identity_blocking_rules() -%}
    {%- set text = dbt.type_string() -%}
    {{ return({
        'email': ['email_mailbox'],
        'phone': ['phone_e164'],
        'email_local_part': ['email_local'],
        'first_last_name': ['name_sorted'],
        'last_name': ['last_name_std'],
        'birth_date': ['birth_date_text'],
        'street_address': ['address_std'],
        'first_name': ['first_name_std'],
        'postal_code': ['postal_code_std'],
        'last_name_birth_date': ['last_name_std', 'birth_date_text'],
        'first_name_birth_date': ['first_name_std', 'birth_date_text'],
        'birth_date_postal_code': ['birth_date_text', 'postal_code_std'],
        'last_name_prefix_postal_code': ['substring(last_name_std, 1, 3)', 'postal_code_std'],
        'first_name_prefix_city': ['substring(first_name_std, 1, 3)', 'last_name_std', 'city_std'],
        'first_name_postal_code': ['first_name_std', 'postal_code_std'],
        'address_postal_code': ['address_std', 'postal_code_std'],
    }) }}
{%- endmacro %}

{#- Expectation-maximisation sessions that learn m (as Splink trains): each session takes
    the candidate pairs agreeing exactly on some fields (nearly all the same person, some
    homonyms) and learns m of every *other* field from them; a field's m is the mean over
    the sessions that do not fix it. No session on a household's fields (mailbox, address):
    EM would learn "same household" instead of "same person". -#}
{% macro identity_training_sessions() -%}
    {{ return({
        'same_name': ['first_name', 'last_name'],
        'same_birth_date': ['birth_date'],
    }) }}
{%- endmacro %}

{#- The comparison level (gamma) of one comparison, as a CASE over pair columns. -#}
{% macro identity_gamma(comparison) -%}
    case
        when {{ comparison.missing or (comparison.column ~ '_l is null or ' ~ comparison.column ~ '_r is null') }} then -1
        {%- for level, label, condition in comparison.levels %}
            when {{ condition }} then {{ level }}
        {%- endfor %}
    end
{%- endmacro %}

{#- Profile columns the link rules below read on both sides of a pair (the cannot-link
    rule, identity_link_requirements, identity_personal_mailbox_rule). -#}
{% macro identity_rule_columns() -%}
    {{ return(['first_name_std', 'last_name_std', 'name_sorted',
               'email_is_household', 'phone_is_household', 'address_is_household', 'is_holder_only']) }}
{%- endmacro %}

{#- Profile columns each pair carries, on both sides: the rules' and every comparison's
    `pair_columns` (a comparison on a column of int_identity_records_standardized brings it
    along: declaring the comparison is the one edit). -#}
{% macro identity_pair_columns() -%}
    {%- set columns = identity_rule_columns() -%}
    {%- for comparison in identity_comparisons() -%}
        {%- for column in comparison.pair_columns if column not in columns -%}
            {%- do columns.append(column) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}

{#- `left`/`right` profile relations joined as one pair row: `<column>_l`, `<column>_r`, with
    the right side's first and last names swapped when that aligns them better (a record
    that writes "GALLAS Sophie", a billing name in one field), and what the profile says
    of its names (int_identity_profiles_grouped: computed once a profile, not once a pair;
    the right side's in its aligned name order). A right side whose names are swapped has
    a first name on the left's side (a null first name is never swapped), so
    name_spells_mailbox_r, read only when the left has none, needs no swapped form. -#}
{% macro identity_pair_sides(left, right) -%}
    {%- set straight = name_similarity(left ~ '.first_name_std', right ~ '.first_name_std') ~ ' + '
        ~ name_similarity(left ~ '.last_name_std', right ~ '.last_name_std') -%}
    {%- set crossed = name_similarity(left ~ '.first_name_std', right ~ '.last_name_std') ~ ' + '
        ~ name_similarity(left ~ '.last_name_std', right ~ '.first_name_std') -%}
    {#- a pair agreeing on one name field is aligned already: the similarities (four a pair)
        are computed only for the others -#}
    {%- set swap = 'case when ' ~ left ~ '.first_name_std = ' ~ right ~ '.first_name_std or '
        ~ left ~ '.last_name_std = ' ~ right ~ '.last_name_std then false else coalesce('
        ~ crossed ~ ' > ' ~ straight ~ ', false) end' -%}
    {%- for column in identity_pair_columns() if column not in ('first_name_std', 'last_name_std') %}
        {{ left }}.{{ column }} as {{ column }}_l,
        {{ right }}.{{ column }} as {{ column }}_r,
    {%- endfor %}
        {{ left }}.first_name_std as first_name_std_l,
        {{ left }}.last_name_std as last_name_std_l,
        case when {{ swap }} then {{ right }}.last_name_std else {{ right }}.first_name_std end as first_name_std_r,
        case when {{ swap }} then {{ right }}.first_name_std else {{ right }}.last_name_std end as last_name_std_r,
        {{ left }}.email_local_is_name as email_local_is_name_l,
        case when {{ swap }} then {{ right }}.email_local_is_name_swapped else {{ right }}.email_local_is_name end
            as email_local_is_name_r,
        {{ left }}.name_spells_mailbox as name_spells_mailbox_l,
        {{ right }}.name_spells_mailbox as name_spells_mailbox_r,
        {{ swap }} as is_name_swapped
{%- endmacro %}

{#- Edit distance (Levenshtein) between two strings. -#}
{% macro edit_distance(left, right) -%}
    {{ return(adapter.dispatch('edit_distance', 'grandstand')(left, right)) }}
{%- endmacro %}

{% macro default__edit_distance(left, right) -%}
    levenshtein({{ left }}, {{ right }})
{%- endmacro %}

{#- Edit distance counting two swapped neighbours as one typo (Damerau-Levenshtein);
    plain edit distance where the engine has no such function. -#}
{% macro typo_distance(left, right) -%}
    {{ return(adapter.dispatch('typo_distance', 'grandstand')(left, right)) }}
{%- endmacro %}

{% macro duckdb__typo_distance(left, right) -%}
    damerau_levenshtein({{ left }}, {{ right }})
{%- endmacro %}

{% macro default__typo_distance(left, right) -%}
    {{ edit_distance(left, right) }}
{%- endmacro %}

{#- At most one typo apart (typo_distance <= 1). DuckDB's Damerau-Levenshtein costs about
    five times its Levenshtein, and both sides of an AND are evaluated: a CASE computes the
    dear distance only where the cheap one allows it (one typo is at most two edits), and
    neither where the lengths rule it out (one typo changes a length by one at most).
    Measured on 6.8 million candidate pairs (100,000 fans): the email comparison went from
    46 s to 11 s with the CASE, then to 7 s with the length check. -#}
{% macro within_one_typo(left, right) -%}
    case
        when abs({{ dbt.length(left) }} - {{ dbt.length(right) }}) > 1 then false
        when {{ edit_distance(left, right) }} <= 2 then {{ typo_distance(left, right) }} <= 1
        else false
    end
{%- endmacro %}

{#- Two names (or the words two names do not share) that may be one person's: alike
    (Jaro-Winkler >= identity_name_similarity_weak), one typo apart (la / lea, zeo / zoe:
    short names, where one slip leaves little likeness), or initials (jm / jean marc,
    j / jordan: two letters at most, the other starting with the same letter). -#}
{% macro names_may_be_one(left, right) -%}
    ({{ name_similarity(left, right) }} >= {{ var('identity_name_similarity_weak') }}
    or {{ within_one_typo(left, right) }}
    or (least({{ dbt.length(left) }}, {{ dbt.length(right) }}) <= 2
        and substring({{ left }}, 1, 1) = substring({{ right }}, 1, 1)))
{%- endmacro %}

{#- Every comparison's level for the pairs in `sides` (a relation with identity_pair_sides
    columns), plus the nickname and gendered-forms flags the first-name levels read. -#}
{% macro identity_compare(sides) -%}
    with flagged as (
        select
            sides.*,
            nicknames.name_a is not null as is_nickname_pair,
            gendered.name_a is not null as is_gendered_pair
        from {{ sides }} as sides
        left join {{ ref('int_identity_nickname_pairs') }} as nicknames
            on sides.first_name_std_l = nicknames.name_a and sides.first_name_std_r = nicknames.name_b
        left join {{ ref('int_identity_gendered_name_pairs') }} as gendered
            on sides.first_name_std_l = gendered.name_a and sides.first_name_std_r = gendered.name_b
    )

    select
        flagged.*,
        {%- for comparison in identity_comparisons() %}
            {{ identity_gamma(comparison) }} as gamma_{{ comparison.name }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from flagged
{%- endmacro %}

{#- One blocking key from its parts: the parts joined by '|'. -#}
{% macro identity_block_key(parts) -%}
    {%- if parts | length == 1 -%}
        {{ parts[0] }}
    {%- else -%}
        {%- set pieces = [] -%}
        {%- for part in parts -%}
            {%- if not loop.first %}{% do pieces.append("'|'") %}{% endif -%}
            {%- do pieces.append(part) -%}
        {%- endfor -%}
        {{ dbt.concat(pieces) }}
    {%- endif -%}
{%- endmacro %}

{#- Readable evidence of a compared pair: each agreeing comparison's level, e.g.
    'first_name: nickname of each other; '. -#}
{% macro identity_evidence_parts(comparisons) -%}
    {%- set parts = [] -%}
    {%- for comparison in comparisons -%}
        {%- set branches = [] -%}
        {%- for level, label, condition in comparison.levels if level > 0 -%}
            {%- do branches.append("when gamma_" ~ comparison.name ~ " = " ~ level ~ " then '" ~ comparison.name ~ ": " ~ label ~ "; '") -%}
        {%- endfor -%}
        {%- do parts.append("case " ~ branches | join(' ') ~ " else '' end") -%}
    {%- endfor -%}
    {{ return(parts) }}
{%- endmacro %}

{#- A probabilistic link needs, besides its weight:
    - `corroborating`: an agreement besides names. Names (and mailboxes, mostly made of
      names: marie.thomas@orange.fr) are shared by homonyms: however rare, a name never
      links alone. A postal code one typo off in the same city weighs as evidence but
      does not corroborate: a city's neighbouring districts are one character apart
      (69001 / 69002), and namesakes live there (measured: it merged namesakes on generated
      data for 10 more FEBRL3 pairs found);
    - `individual`: when the pair agrees on a mailbox, phone or street address that several
      first names use (a household's), an agreement telling its members apart (first name
      or birth date). A record with a surname but no first name on a family mailbox could
      be any of them: it stays apart rather than guess (a record with no name at all goes
      with the mailbox, as the tool's account holder's). -#}
{% macro identity_link_requirements() -%}
    {{ return({
        'corroborating': 'gamma_email >= 2 or gamma_phone >= 1 or gamma_birth_date >= 2 or gamma_location >= 3',
        'individual': 'gamma_first_name >= 1 or gamma_birth_date >= 2 or gamma_last_name = -1 or not ('
            ~ '(gamma_email = 3 and email_is_household_l) or (gamma_phone = 2 and phone_is_household_l)'
            ~ ' or (gamma_location >= 4 and address_is_household_l))',
    }) }}
{%- endmacro %}

{#- A mailbox only one person uses (no two first names on it) is that person's: records
    sharing it link even when one of them carries no name (an email-tool contact with only
    an address), unless something disagrees. Measured on generated data: 99 % of such pairs
    are one person, against 70 % on a family mailbox, which stays out -- except that a
    record without a first name there links to the member whose name spells the mailbox
    (thierry mercier: tmercier@..., louise charles: louise.charles@...), its owner.
    A ticket holder without a first name never links by mailbox: the email on a ticket is
    often the buyer's, and a surname alone fits everyone the buyer brings (measured at
    100,000 generated fans: 4 in 10 such links joined two people). -#}
{% macro identity_personal_mailbox_rule() -%}
    {%- set owner_l = 'first_name_std_r is null and name_spells_mailbox_l' -%}
    {%- set owner_r = 'first_name_std_l is null and name_spells_mailbox_r' -%}
    {{ return('gamma_email = 3 and gamma_first_name != 0 and gamma_last_name != 0'
        ~ ' and gamma_birth_date != 0 and gamma_phone != 0'
        ~ ' and not (first_name_std_l is null and is_holder_only_l)'
        ~ ' and not (first_name_std_r is null and is_holder_only_r)'
        ~ ' and (not email_is_household_l or (' ~ owner_l ~ ') or (' ~ owner_r ~ '))') }}
{%- endmacro %}

{#- The mailbox's letters (email_letters) hold the surname and the first name, or start
    with its initial right before the surname. -#}
{% macro name_spells_mailbox(letters, first_name, last_name) -%}
    {%- set first = regexp_replace_all(first_name, "'[^a-z]'", "''") -%}
    {%- set last = regexp_replace_all(last_name, "'[^a-z]'", "''") -%}
    ({{ dbt.length(last) }} >= 2 and {{ dbt.position(last, letters) }} > 0
    and ({{ dbt.length(first) }} >= 2 and {{ dbt.position(first, letters) }} > 0
    or {{ dbt.position(dbt.concat(['substring(' ~ first ~ ', 1, 1)', last]), letters) }} = 1))
{%- endmacro %}

{#- An email local part made of the name alone: no digit, and its letters are the first
    name and surname (or the initial and surname) in either order. -#}
{% macro local_part_is_name(local_part, first_name, last_name) -%}
    {%- set letters = regexp_replace_all(local_part, "'[^a-z]'", "''") -%}
    {%- set first = regexp_replace_all(first_name, "'[^a-z]'", "''") -%}
    {%- set last = regexp_replace_all(last_name, "'[^a-z]'", "''") -%}
    {%- set initial = 'substring(' ~ first ~ ', 1, 1)' -%}
    ({{ regexp_replace_all(local_part, "'[^0-9]'", "''") }} = '' and {{ letters }} in (
        {{ dbt.concat([first, last]) }}, {{ dbt.concat([last, first]) }},
        {{ dbt.concat([initial, last]) }}, {{ dbt.concat([last, initial]) }}))
{%- endmacro %}

{#- The words of one name (space-separated) that the other name does not contain, in
    order, space-separated; '' when none. -#}
{% macro name_leftover_words(name, other) -%}
    {{ return(adapter.dispatch('name_leftover_words', 'grandstand')(name, other)) }}
{%- endmacro %}

{% macro duckdb__name_leftover_words(name, other) -%}
    array_to_string(list_filter(string_split({{ name }}, ' '), lambda word: not list_contains(string_split({{ other }}, ' '), word)), ' ')
{%- endmacro %}

{% macro default__name_leftover_words(name, other) -%}
    {{ exceptions.raise_compiler_error("name_leftover_words has no implementation for adapter " ~ adapter.type()) }}
{%- endmacro %}

{#- A hash of some columns' values, telling a null from any value: a row's fingerprint. -#}
{% macro values_fingerprint(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first %}{% do parts.append("'|'") %}{% endif -%}
        {%- do parts.append("coalesce('=' || cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '-')") -%}
    {%- endfor -%}
    {{ dbt.hash(dbt.concat(parts)) }}
{%- endmacro %}

{#- When this dbt invocation started, as a timestamp: what marks the rows a build appends. -#}
{% macro run_started_at_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ api.Column.translate_type('timestamp') }})
{%- endmacro %}

{#- Whether a blocking key shared by `size` profiles makes candidate pairs: more than
    identity_max_block_size identify nobody, and pairing them would explode. -#}
{% macro identity_block_is_kept(size) -%}
    ({{ size }} between 2 and {{ var('identity_max_block_size') }})
{%- endmacro %}
