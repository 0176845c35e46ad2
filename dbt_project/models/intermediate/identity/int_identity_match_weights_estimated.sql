{#- Fellegi-Sunter match weights, estimated from this run's data (no labels needed).
    u = P(level | different people), from random pairs of profiles: for exact agreement,
        the chance two random profiles share a value (sum of squared value frequencies);
        for the fuzzy name levels, measured on random pairs.
    m = P(level | same person), leave-one-field-out: measured on the candidate pairs that
        agree on at least two *other* strong identifiers (email, phone, name, birth date)
        and break no cannot-link rule -- pairs that are the same person with near
        certainty whatever field m is measured on.
    prior = P(two profiles drawn at random are the same person): the share of candidate
        pairs that match, by expectation-maximisation over the agreement patterns with m
        and u held fixed (one parameter: stable), times candidate pairs / all pairs. Over
        all pairs, not candidate pairs: blocking selects pairs that agree on a field, and
        that field's weight already counts the agreement.
    weight = log2(m / u): the evidence a level brings (positive for, negative against).
    Missing values are no evidence (level -1). One row per field and level, plus the prior.
    (Full EM on m and u was tried: on blocked pairs it converges to degenerate classes.) -#}
{%- set levels = {
    'email': [2, 0],
    'phone': [2, 0],
    'name': [3, 2, 1, 0],
    'birth': [2, 0],
    'postal': [2, 0],
} -%}
{%- set exact_columns = {
    'email': 'email_mailbox',
    'phone': 'phone_e164',
    'name': 'name_sorted',
    'birth': 'birth_date',
    'postal': 'postal_code_std',
} -%}
{%- set smoothing = 0.0001 -%}

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

random_pairs as (
    select
        {{ name_similarity('a.name_sorted', 'b.name_sorted') }} as similarity,
        a.name_sorted = b.name_sorted as is_exact
    from sample_limited as a
    inner join sample_limited as b
        on b.sample_rank - a.sample_rank between 1 and {{ var('identity_u_sample_offsets') }}
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
),

compared as (
    select * from {{ ref('int_identity_pairs_compared') }}
    where not is_cannot_link
),

{%- set strong_agreements = {
    'email': 'gamma_email = 2',
    'phone': 'gamma_phone = 2',
    'name': 'gamma_name = 3',
    'birth': 'gamma_birth = 2',
} %}

{% for field, field_levels in levels.items() %}
    anchors_{{ field }} as (
        select gamma_{{ field }} as agreement_level
        from compared
        where
            gamma_{{ field }} >= 0
            and (
                {%- for other, condition in strong_agreements.items() if other != field %}
                    (case when {{ condition }} then 1 else 0 end){% if not loop.last %} +{% endif %}
                {%- endfor %}
            ) >= 2
    ),

    m_{{ field }} as (
        select
            {%- for level in field_levels %}
                greatest(
                    (sum(case when agreement_level = {{ level }} then 1 else 0 end) + {{ smoothing }})
                    / (count(*) + {{ smoothing * (field_levels | length) }}),
                    {{ var('identity_m_floor') }}
                ) as m_{{ field }}_{{ level }}{% if not loop.last %},{% endif %}
            {%- endfor %}
        from anchors_{{ field }}
    ),
{% endfor %}

m_parameters as (
    select
        {%- for field in levels %}
            m_{{ field }}.*{% if not loop.last %},{% endif %}
        {%- endfor %}
    from
        m_email
    {%- for field in levels if field != 'email' %}
        cross join m_{{ field }}
    {%- endfor %}
),

patterns as (
    select
        gamma_email,
        gamma_phone,
        gamma_name,
        gamma_birth,
        gamma_postal,
        count(*) as pair_count
    from {{ ref('int_identity_pairs_compared') }}
    group by gamma_email, gamma_phone, gamma_name, gamma_birth, gamma_postal
),

likelihoods as (
    select
        patterns.pair_count,
        {{ fellegi_sunter_product(levels, 'm', 'm_parameters') }} as match_likelihood,
        {{ fellegi_sunter_product(levels, 'u', 'u_complete') }} as non_match_likelihood
    from patterns
    cross join m_parameters
    cross join u_complete
),

iteration_0 as (
    select 0.5 as prior_match
),

{% for i in range(1, var('identity_em_iterations') + 1) %}
    iteration_{{ i }} as (
        select
            sum(
                likelihoods.pair_count * iteration_{{ i - 1 }}.prior_match * likelihoods.match_likelihood
                / (
                    iteration_{{ i - 1 }}.prior_match * likelihoods.match_likelihood
                    + (1 - iteration_{{ i - 1 }}.prior_match) * likelihoods.non_match_likelihood
                )
            ) / sum(likelihoods.pair_count) as prior_match
        from likelihoods
        cross join iteration_{{ i - 1 }}
    ),
{% endfor %}

pair_space as (
    select
        (select sum(patterns.pair_count) from patterns) as candidate_pairs,
        count(*) * (count(*) - 1) / 2.0 as all_pairs
    from profiles
),

final as (
    select
        iteration_{{ var('identity_em_iterations') }}.prior_match * pair_space.candidate_pairs
        / nullif(pair_space.all_pairs, 0) as prior_match,
        m_parameters.*,
        u_complete.*
    from iteration_{{ var('identity_em_iterations') }}
    cross join pair_space
    cross join m_parameters
    cross join u_complete
),

weights as (
        {% for field, field_levels in levels.items() %}{% for level in field_levels %}
        select
            '{{ field }}' as field_name,
            {{ level }} as comparison_level,
            final.m_{{ field }}_{{ level }} as m_probability,
            final.u_{{ field }}_{{ level }} as u_probability
        from final
        union all
    {% endfor %}{% endfor %}
    select
        'prior' as field_name,
        null as comparison_level,
        final.prior_match as m_probability,
        1 - final.prior_match as u_probability
    from final
)

select
    field_name,
    comparison_level,
    m_probability,
    u_probability,
    case
        when field_name = 'prior' then 'chance two random profiles are the same person'
        when comparison_level = 3 then 'exact'
        when comparison_level = 2 and field_name = 'name' then 'strong fuzzy'
        when comparison_level = 2 then 'equal'
        when comparison_level = 1 then 'weak fuzzy'
        else 'different'
    end as level_description,
    ln(m_probability / u_probability) / ln(2) as match_weight
from weights
