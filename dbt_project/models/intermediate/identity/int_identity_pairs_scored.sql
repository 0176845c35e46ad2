-- Candidate pairs with their match weight (the prior's log-odds plus the Fellegi-Sunter
-- weight of each field's comparison level), match probability and readable evidence. A
-- pair links when its probability reaches `identity_match_probability` and no cannot-link
-- rule holds.
-- Exact agreement on email or name is weighted by the value's frequency (term-frequency
-- adjustment): sharing a family mailbox or a common name is weaker evidence than sharing
-- a rare one, so u is the share of profiles carrying that very value.
{%- set fields = ['email', 'phone', 'name', 'birth', 'postal'] %}
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

{% for field, column in {'email': 'email_mailbox', 'name': 'name_sorted'}.items() %}
    frequency_{{ field }} as (
        select
            {{ column }} as field_value,
            count(*) * 1.0 / sum(count(*)) over () as value_share
        from profiles
        where {{ column }} is not null
        group by {{ column }}
    ),
{% endfor %}

pair_values as (
    select
        pairs.*,
        profiles.email_mailbox,
        profiles.name_sorted
    from pairs
    inner join profiles on pairs.profile_id_a = profiles.profile_id
),

field_weights as (
    select
        pairs.*,
        {%- for field in fields %}
            {%- if field in ('email', 'name') %}
                case
                    when pairs.gamma_{{ field }} = {{ 2 if field == 'email' else 3 }}
                        then ln(weight_{{ field }}.m_probability / frequency_{{ field }}.value_share) / ln(2)
                    else coalesce(weight_{{ field }}.match_weight, 0)
                end as weight_{{ field }},
            {%- else %}
                coalesce(weight_{{ field }}.match_weight, 0) as weight_{{ field }},
            {%- endif %}
        {%- endfor %}
        prior.prior_weight
    from pair_values as pairs
    cross join prior
    left join frequency_email on pairs.email_mailbox = frequency_email.field_value
    left join frequency_name on pairs.name_sorted = frequency_name.field_value
    {%- for field in fields %}
        left join weights as weight_{{ field }}
            on
                weight_{{ field }}.field_name = '{{ field }}'
                and pairs.gamma_{{ field }} = weight_{{ field }}.comparison_level
    {%- endfor %}
),

weighted as (
    select
        *,
        prior_weight
        {%- for field in fields %}
            + weight_{{ field }}
        {%- endfor %} as match_weight
    from field_weights
)

select
    profile_id_a,
    profile_id_b,
    gamma_email,
    gamma_phone,
    gamma_name,
    gamma_birth,
    gamma_postal,
    name_similarity,
    birth_conflict,
    name_conflict,
    is_cannot_link,
    match_weight,
    1.0 / (1.0 + power(2.0, -match_weight)) as match_probability,
    not is_cannot_link and 1.0 / (1.0 + power(2.0, -match_weight)) >= {{ var('identity_match_probability') }} as is_link,
    {{ dbt.concat([
        "case when gamma_email = 2 then 'same email; ' else '' end",
        "case when gamma_phone = 2 then 'same phone; ' else '' end",
        "case when gamma_name = 3 then 'same name; ' when gamma_name > 0 then 'similar name; ' else '' end",
        "case when gamma_birth = 2 then 'same birth date; ' else '' end",
        "case when gamma_postal = 2 then 'same postal code; ' else '' end",
        "case when birth_conflict then 'CANNOT LINK: different birth dates; ' else '' end",
        "case when name_conflict then 'CANNOT LINK: different first names; ' else '' end",
    ]) }} as evidence
from weighted
