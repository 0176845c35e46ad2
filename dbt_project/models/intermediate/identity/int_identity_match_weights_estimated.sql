{#- Fellegi-Sunter match weights per field and comparison level, plus the prior, from
    this run's data (no labels needed): the reviewable artefact behind every link.
    m and u come from int_identity_m/u_probabilities_estimated.
    prior = P(two profiles drawn at random are the same person): the share of candidate
        pairs that match, by expectation-maximisation over the agreement patterns with m
        and u held fixed (one parameter: stable), times candidate pairs / all pairs. Over
        all pairs, not candidate pairs: blocking selects pairs that agree on a field, and
        that field's weight already counts the agreement.
    weight = log2(m / u): the evidence a level brings (positive for, negative against).
    Missing values are no evidence (level -1).
    (Full EM on m and u was tried: on blocked pairs it converges to degenerate classes.) -#}
{%- set levels = identity_comparison_levels() -%}
{%- set smoothing = identity_probability_smoothing() -%}

with patterns as (
    select * from {{ ref('int_identity_agreement_patterns_counted') }}
),

m_parameters as (
    select * from {{ ref('int_identity_m_probabilities_estimated') }}
),

u_complete as (
    select * from {{ ref('int_identity_u_probabilities_estimated') }}
),

profiles as (
    select profile_id from {{ ref('int_identity_profiles_grouped') }}
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
        -- summed as decimals, which is exact: floating-point addition is not associative and
        -- the engine adds rows in any order, so the prior changed in its last bits run to run
        select
            sum(cast(
                likelihoods.pair_count * iteration_{{ i - 1 }}.prior_match * likelihoods.match_likelihood
                / (
                    iteration_{{ i - 1 }}.prior_match * likelihoods.match_likelihood
                    + (1 - iteration_{{ i - 1 }}.prior_match) * likelihoods.non_match_likelihood
                ) as decimal(38, 18)
            )) / sum(likelihoods.pair_count) as prior_match
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
