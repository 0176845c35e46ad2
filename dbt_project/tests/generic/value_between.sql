{#- Every non-null value of the column lies between min_value and max_value (both
    included; either may be left out). The range rules of the marts' columns. -#}
{% test value_between(model, column_name, min_value=none, max_value=none) %}
    select {{ column_name }}
    from {{ model }}
    where
        {% if min_value is not none %}{{ column_name }} < {{ min_value }}{% else %}1 = 0{% endif %}
        or {% if max_value is not none %}{{ column_name }} > {{ max_value }}{% else %}1 = 0{% endif %}
{% endtest %}
