{#- m = P(comparison level | same person), per field and level, one row. Leave one field
    out: measured on the candidate pairs that agree on at least two *other* strong
    identifiers (email, phone, name, birth date) and break no cannot-link rule -- the
    same person with near certainty, whatever field m is measured on. Floored at
    identity_m_floor: no single disagreement is absolute proof. -#}
{%- set levels = identity_comparison_levels() -%}
{%- set smoothing = identity_probability_smoothing() -%}

with compared as (
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
)

select * from m_parameters
