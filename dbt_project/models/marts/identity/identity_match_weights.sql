-- The Fellegi-Sunter parameters this run estimated: the reviewable artefact behind every
-- probabilistic link (see intermediate model int_identity_match_weights_estimated).
select
    field_name,
    comparison_level,
    level_description,
    m_probability,
    u_probability,
    match_weight
from {{ ref('int_identity_match_weights_estimated') }}
