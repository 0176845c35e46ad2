-- The comparisons and their levels as declared in macros/identity_model.sql, as a table:
-- what the weight estimation learns a weight for, and how each level reads.
{%- set rows = [] %}
{%- for comparison in identity_comparisons() %}
    {%- for level, label, condition in comparison.levels %}
        {%- do rows.append([comparison.name, level, label, comparison.tf and loop.first]) %}
    {%- endfor %}
{%- endfor %}
{%- for field_name, level, label, is_tf in rows %}
    select
        '{{ field_name }}' as field_name,
        {{ level }} as comparison_level,
        '{{ label }}' as level_description,
        {{ 'true' if is_tf else 'false' }} as is_term_frequency_adjusted
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
