{#- A survey score lies in its survey's scale: nps 0-10, csat and ces 1-5. -#}
{% test score_in_survey_range(model, column_name) %}
    select *
    from {{ model }}
    where
        (survey_type = 'nps' and {{ column_name }} not between 0 and 10)
        or (survey_type in ('csat', 'ces') and {{ column_name }} not between 1 and 5)
{% endtest %}
