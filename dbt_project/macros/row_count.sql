{#-
    A model's or seed's post-hook: logs the rows of the relation it just built, as
    `grandstand_row_count=<n> rows in <relation>`. The orchestrator reads the line and
    records each night's row count next to the node's timing, so that a sudden drop or jump
    is visible (orchestration/dbt.py). Counted inside dbt: while dbt writes the DuckDB file, no other
    process may open it. Renders no SQL, so the hook itself runs nothing more.
-#}
{% macro log_row_count() %}
    {%- if execute and model.config.materialized in ['table', 'incremental', 'seed'] -%}
        {%- set counted = run_query('select count(*) from ' ~ this) -%}
        {%- do log('grandstand_row_count=' ~ counted.columns[0].values()[0] ~ ' rows in ' ~ this, info=true) -%}
    {%- endif -%}
{% endmacro %}
