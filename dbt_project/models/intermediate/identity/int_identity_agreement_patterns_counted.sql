-- How many pairs show each agreement pattern (one comparison level per comparison), per
-- training set: `random` (random pairs, for u), `candidates` (every candidate pair, for
-- the prior) and one per EM training session (candidate pairs agreeing exactly on the
-- session's fields, for m). The small table the weight estimation iterates over.
{%- set comparisons = identity_comparisons() %}
{%- set top_level = {} %}
{%- for comparison in comparisons %}{% do top_level.update({comparison.name: comparison.levels[0][0]}) %}{% endfor %}
{%- set gammas %}
    {%- for comparison in comparisons %}gamma_{{ comparison.name }}{% if not loop.last %}, {% endif %}{% endfor %}
{%- endset %}
with training_sets as (
    select
        'random' as training_set,
        {{ gammas }}
    from {{ ref('int_identity_random_pairs_compared') }}
    union all
    select
        'candidates' as training_set,
        {{ gammas }}
    from {{ ref('int_identity_pairs_compared') }}
    {%- for session, fields in identity_training_sessions().items() %}
        union all
        select
            '{{ session }}' as training_set,
            {{ gammas }}
        from {{ ref('int_identity_pairs_compared') }}
        where
            {%- for field in fields %}
                {% if not loop.first %}and {% endif %}gamma_{{ field }} = {{ top_level[field] }}
            {%- endfor %}
    {%- endfor %}
)

select
    training_set,
    {{ gammas }},
    count(*) as pair_count
from training_sets
group by training_set, {{ gammas }}
