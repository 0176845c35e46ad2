-- One row per source identity record and the fan it belongs to, with how it was linked.
select
    record_type,
    record_id,
    fan_id,
    match_rule,
    match_score,
    match_evidence
from {{ ref('int_identity_records_clustered') }}
