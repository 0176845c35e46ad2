-- One row per identity record anonymised under retention (orchestration/retention.py),
-- with the fan it stays in: identity resolution keeps such a record in that fan instead of
-- matching it again, since its names, phones and addresses are gone. Empty until the
-- first anonymisation (the table does not exist before it): the same columns, typed, from
-- no row.
{%- set retained = source('privacy', 'retained_records') %}
{%- set exists = adapter.get_relation(database=retained.database, schema=retained.schema, identifier=retained.identifier) is not none %}
select
    cast(record_type as {{ dbt.type_string() }}) as record_type,
    cast(record_id as {{ dbt.type_string() }}) as record_id,
    cast(fan_id as {{ dbt.type_string() }}) as fan_id,
    cast(identity_confidence as {{ dbt.type_string() }}) as identity_confidence,
    cast(anonymised_on as date) as anonymised_on
{% if exists %}
    from {{ retained }}
{% else %}
    from (
        select
            null as record_type,
            null as record_id,
            null as fan_id,
            null as identity_confidence,
            null as anonymised_on
    ) as no_pins
    where 1 = 0
{% endif %}
