{#- u = P(comparison level | two different people), per field and level, one row.
    Exact agreement: the chance two random profiles share a value (sum of squared value
    frequencies). Fuzzy name levels: measured on random pairs of profiles
    (identity_u_sample_profiles x identity_u_sample_offsets), Laplace-smoothed. -#}
{%- set levels = identity_comparison_levels() -%}
{%- set smoothing = identity_probability_smoothing() -%}
{%- set exact_columns = {
    'email': 'email_mailbox',
    'phone': 'phone_e164',
    'name': 'name_sorted',
    'birth': 'birth_date',
    'postal': 'postal_code_std',
} -%}

with profiles as (
    select * from {{ ref('int_identity_profiles_grouped') }}
),

{% for field, column in exact_columns.items() %}
    value_counts_{{ field }} as (
        select
            {{ column }} as field_value,
            count(*) as profile_count
        from profiles
        where {{ column }} is not null
        group by {{ column }}
    ),

    exact_u_{{ field }} as (
        select sum(1.0 * profile_count * profile_count) / nullif(sum(1.0 * profile_count) * sum(1.0 * profile_count), 0) as u_exact
        from value_counts_{{ field }}
    ),
{% endfor %}

sampled as (
    select
        name_sorted,
        row_number() over (order by {{ dbt.hash('profile_id') }}) as sample_rank
    from profiles
    where name_sorted is not null
),

sample_limited as (
    select * from sampled
    where sample_rank <= {{ var('identity_u_sample_profiles') }}
),

-- each sampled profile against the next identity_u_sample_offsets ones (equi-joins)
random_pairs as (
    {% for offset in range(1, var('identity_u_sample_offsets') + 1) %}
        select
            {{ name_similarity('a.name_sorted', 'b.name_sorted') }} as similarity,
            a.name_sorted = b.name_sorted as is_exact
        from sample_limited as a
        inner join sample_limited as b on a.sample_rank + {{ offset }} = b.sample_rank
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

fuzzy_u_name as (
    select
        (sum(case when not is_exact and similarity >= {{ var('identity_name_similarity_strong') }} then 1 else 0 end) + 1.0)
        / (count(*) + 2.0) as u_strong,
        (sum(case
            when
                not is_exact and similarity >= {{ var('identity_name_similarity_weak') }}
                and similarity < {{ var('identity_name_similarity_strong') }} then 1
            else 0
        end) + 1.0)
        / (count(*) + 2.0) as u_weak
    from random_pairs
),

u_parameters as (
    select
        {% for field in levels %}
            greatest(coalesce(exact_u_{{ field }}.u_exact, {{ smoothing }}), {{ smoothing }}) as u_{{ field }}_{{ levels[field][0] }},
        {% endfor %}
        fuzzy_u_name.u_strong as u_name_2,
        fuzzy_u_name.u_weak as u_name_1
    from fuzzy_u_name
    {% for field in levels %}
        cross join exact_u_{{ field }}
    {% endfor %}
),

u_complete as (
    select
        *,
        {% for field in ['email', 'phone', 'birth', 'postal'] %}
            1 - u_{{ field }}_2 as u_{{ field }}_0,
        {% endfor %}
        greatest(1 - u_name_3 - u_name_2 - u_name_1, {{ smoothing }}) as u_name_0
    from u_parameters
)

select * from u_complete
