-- Candidate pairs with their match weight (the prior's log-odds plus the learnt weight of
-- each comparison's level), match probability and readable evidence. A pair links when
-- its probability reaches `identity_match_probability`, the cannot-link rule does not
-- hold and the agreements identity_link_requirements asks for are there.
-- A comparison declared term-frequency adjusted weighs its top level by the value's
-- frequency: sharing a family mailbox or "martin" is weaker evidence than sharing a rare
-- one, so u of that level is the share of profiles carrying that very value.
{%- set comparisons = identity_comparisons() %}
with pairs as (
    select * from {{ ref('int_identity_pairs_compared') }}
),

weights as (
    select * from {{ ref('int_identity_match_weights_estimated') }}
),

prior as (
    select match_weight as prior_weight from weights
    where field_name = 'prior'
),

profiles as (
    select * from {{ ref('int_identity_profiles_grouped') }}
),

{% for comparison in comparisons if comparison.tf %}
    -- the share of profiles (with a value) carrying the value in one of its tf_columns
    frequency_{{ comparison.name }} as (
        select
            field_value,
            count(*) * 1.0 / (
                select count(*) from profiles
                where {{ comparison.column }} is not null
            ) as value_share
        from (
            {%- for column in comparison.tf_columns or [comparison.column] %}
                select {{ column }} as field_value from profiles
                where {{ column }} is not null
                {% if not loop.last %}union all{% endif %}
            {%- endfor %}
        ) as field_values
        group by field_value
    ),
{% endfor %}

field_weights as (
    select
        pairs.*,
        {%- for comparison in comparisons %}
            {%- if comparison.tf %}
                case
                    when pairs.gamma_{{ comparison.name }} = {{ comparison.levels[0][0] }}
                        then ln(weight_{{ comparison.name }}.m_probability / frequency_{{ comparison.name }}.value_share) / ln(2)
                    else coalesce(weight_{{ comparison.name }}.match_weight, 0)
                end as weight_{{ comparison.name }},
            {%- else %}
                coalesce(weight_{{ comparison.name }}.match_weight, 0) as weight_{{ comparison.name }},
            {%- endif %}
        {%- endfor %}
        prior.prior_weight
    from pairs
    cross join prior
    inner join profiles on pairs.profile_key_a = profiles.profile_key
    {%- for comparison in comparisons %}
        left join weights as weight_{{ comparison.name }}
            on
                weight_{{ comparison.name }}.field_name = '{{ comparison.name }}'
                and pairs.gamma_{{ comparison.name }} = weight_{{ comparison.name }}.comparison_level
        {%- if comparison.tf %}
            left join frequency_{{ comparison.name }}
                on profiles.{{ comparison.column }} = frequency_{{ comparison.name }}.field_value
        {%- endif %}
    {%- endfor %}
),

weighted as (
    select
        *,
        prior_weight
        {%- for comparison in comparisons %}
            + weight_{{ comparison.name }}
        {%- endfor %} as match_weight
    from field_weights
),

probable as (
    select
        *,
        1.0 / (1.0 + power(2.0, -match_weight)) as match_probability
    from weighted
),

decided as (
    select
        *,
        not is_cannot_link
        and meets_link_requirements
        and match_probability >= {{ var('identity_match_probability') }} as is_link
    from probable
)

select
    profile_key_a,
    profile_key_b,
    {%- for comparison in comparisons %}
        gamma_{{ comparison.name }},
    {%- endfor %}
    is_cannot_link,
    meets_link_requirements,
    is_personal_mailbox_match,
    match_weight,
    match_probability,
    is_link,
    -- written only for the pairs a link may quote (int_identity_links_unioned), not for the
    -- tens of millions of candidate pairs that never link
    case
        when is_link or is_personal_mailbox_match or is_cannot_link
            then {{ dbt.concat(identity_evidence_parts(comparisons) + [
                "case when is_cannot_link then 'CANNOT LINK: one mailbox or phone, different first names, birth dates not the same; ' else '' end"
            ]) }}
    end as evidence
from decided
