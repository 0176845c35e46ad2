{#- Stable fan ids, and the registry that keeps them: this model's own table, as the previous
    run left it, is the state (read through {{ this }}, so lineage shows it):
    - a previous id stays with the cluster that holds most of its records: on a split, the
      largest part keeps it;
    - a cluster holding several previous ids is a merge: the oldest id (earliest issued)
      survives;
    - a cluster keeping no previous id gets a new one from its smallest record key.
    Re-running the same data therefore changes no id. The registry is never rebuilt, not even
    by --full-refresh (that would reissue every id): each run appends its assignment and a
    post-hook drops the previous run's. Its first build in a warehouse starts from the ids the
    marts published (fan_source_records, dim_fan), so upgrading keeps them. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    full_refresh=false,
    on_schema_change='append_new_columns',
    post_hook="delete from {{ this }} where assigned_in_run <> '{{ invocation_id }}'"
) }}
{%- if is_incremental() -%}
    {%- set previous_records, previous_fans, previous_fan_columns = this, this, ['fan_id_issued_on'] -%}
{%- else -%}
    {%- set previous_records = adapter.get_relation(database=target.database, schema='marts', identifier='fan_source_records') -%}
    {%- set previous_fans = adapter.get_relation(database=target.database, schema='marts', identifier='dim_fan') -%}
    {%- set previous_fan_columns = adapter.get_columns_in_relation(previous_fans) | map(attribute='name') | list if previous_fans is not none else [] -%}
{%- endif %}

with as_of as (
    select as_of_date from {{ ref('int_run_as_of_resolved') }}
),

records as (
    select
        standardized.record_type,
        standardized.record_id,
        profile_clusters.cluster_id
    from {{ ref('int_identity_records_standardized') }} as standardized
    inner join {{ ref('int_identity_profiles_clustered') }} as profile_clusters
        on standardized.profile_id = profile_clusters.profile_id
),

clusters as (
    select
        cluster_id,
        min({{ dbt.concat(['record_type', "':'", 'record_id']) }}) as cluster_key
    from records
    group by cluster_id
),

previous as (
    {% if previous_records is not none %}
        select
            record_type,
            record_id,
            fan_id as previous_fan_id
        from {{ previous_records }}
    {% else %}
        select
            cast(null as {{ dbt.type_string() }}) as record_type,
            cast(null as {{ dbt.type_string() }}) as record_id,
            cast(null as {{ dbt.type_string() }}) as previous_fan_id
        where 1 = 0
    {% endif %}
),

previous_issued as (
    {% if 'fan_id_issued_on' in previous_fan_columns %}
        select
            fan_id,
            min(fan_id_issued_on) as fan_id_issued_on
        from {{ previous_fans }}
        group by fan_id
    {% else %}
        select
            cast(null as {{ dbt.type_string() }}) as fan_id,
            cast(null as date) as fan_id_issued_on
        where 1 = 0
    {% endif %}
),

overlap as (
    select
        records.cluster_id,
        previous.previous_fan_id,
        count(*) as shared_records
    from records
    inner join previous
        on records.record_type = previous.record_type and records.record_id = previous.record_id
    group by records.cluster_id, previous.previous_fan_id
),

keepers as (
    {{ dedupe('overlap', 'previous_fan_id', 'shared_records desc, cluster_id') }}
),

kept_ids as (
    select
        keepers.cluster_id,
        keepers.previous_fan_id as fan_id,
        previous_issued.fan_id_issued_on
    from keepers
    left join previous_issued on keepers.previous_fan_id = previous_issued.fan_id
),

survivors as (
    {{ dedupe('kept_ids', 'cluster_id', 'fan_id_issued_on nulls last, fan_id') }}
),

new_ids as (
    select
        clusters.cluster_id,
        {{ surrogate_id('F', 'clusters.cluster_key') }} as candidate_id
    from clusters
    left join survivors on clusters.cluster_id = survivors.cluster_id
    where survivors.cluster_id is null
),

assigned as (
    select
        cluster_id,
        fan_id,
        fan_id_issued_on
    from survivors
    union all
    -- a new id must not reuse one issued before (e.g. the id of the part that kept it)
    select
        new_ids.cluster_id,
        case
            when
                exists (
                    select 1 from previous
                    where previous.previous_fan_id = new_ids.candidate_id
                )
                then {{ surrogate_id('F', dbt.concat(['new_ids.candidate_id', "'@'", 'cast(as_of.as_of_date as ' ~ dbt.type_string() ~ ')'])) }}
            else new_ids.candidate_id
        end as fan_id,
        as_of.as_of_date as fan_id_issued_on
    from new_ids
    cross join as_of
)

select
    records.record_type,
    records.record_id,
    records.cluster_id,
    assigned.fan_id,
    previous.previous_fan_id,
    coalesce(assigned.fan_id_issued_on, as_of.as_of_date) as fan_id_issued_on,
    cast('{{ invocation_id }}' as {{ dbt.type_string() }}) as assigned_in_run
from records
inner join assigned on records.cluster_id = assigned.cluster_id
cross join as_of
left join previous
    on records.record_type = previous.record_type and records.record_id = previous.record_id
