-- The fans most worth a human look: several different names, emails, phones or birth
-- dates in one fan, or links of low probability. suspicion_score = (distinct names − 1)
-- × 3 + (distinct birth dates − 1) × 5 + (distinct emails − 1) + (distinct phones − 1)
-- + 2 when the weakest probabilistic link is below 0.99. The top
-- `identity_suspicious_clusters_listed` fans are listed.
with records as (
    select
        resolved.*,
        standardized.name_sorted
    from {{ ref('int_identity_records_clustered') }} as resolved
    inner join {{ ref('int_identity_records_standardized') }} as standardized
        on resolved.record_type = standardized.record_type and resolved.record_id = standardized.record_id
),

per_fan as (
    select
        fan_id,
        count(*) as record_count,
        count(distinct name_sorted) as distinct_names,
        count(distinct email_mailbox) as distinct_emails,
        count(distinct phone_e164) as distinct_phones,
        count(distinct birth_date) as distinct_birth_dates,
        min(case when match_rule = 'probabilistic' then match_score end) as weakest_link_score
    from records
    group by fan_id
),

scored as (
    select
        *,
        greatest(distinct_names - 1, 0) * 3
        + greatest(distinct_birth_dates - 1, 0) * 5
        + greatest(distinct_emails - 1, 0)
        + greatest(distinct_phones - 1, 0)
        + case when weakest_link_score < 0.99 then 2 else 0 end as suspicion_score
    from per_fan
),

ranked as (
    select
        *,
        row_number() over (order by suspicion_score desc, record_count desc, fan_id asc) as suspicion_rank
    from scored
    where suspicion_score > 0
)

select
    cast(suspicion_rank as integer) as suspicion_rank,
    fan_id,
    cast(suspicion_score as integer) as suspicion_score,
    cast(record_count as integer) as record_count,
    cast(distinct_names as integer) as distinct_names,
    cast(distinct_emails as integer) as distinct_emails,
    cast(distinct_phones as integer) as distinct_phones,
    cast(distinct_birth_dates as integer) as distinct_birth_dates,
    weakest_link_score
from ranked
where suspicion_rank <= {{ var('identity_suspicious_clusters_listed') }}
