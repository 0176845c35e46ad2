-- Random pairs of profiles, compared like candidate pairs: almost all are two different
-- people, so the share of each comparison level among them is u (as Splink estimates u by
-- random sampling). Each of identity_u_sample_profiles profiles (in a fixed pseudo-random
-- order) is paired with the next identity_u_sample_offsets ones: equi-joins, no cross join.
with profiles as (
    select * from {{ ref('int_identity_profiles_grouped') }}
),

sampled as (
    select
        *,
        row_number() over (order by {{ dbt.hash('profile_id') }}, profile_id) as sample_rank
    from profiles
),

sample_limited as (
    select * from sampled
    where sample_rank <= {{ var('identity_u_sample_profiles') }}
),

sides as (
    {%- for offset in range(1, var('identity_u_sample_offsets') + 1) %}
        select {{ identity_pair_sides('a', 'b') }}
        from sample_limited as a
        inner join sample_limited as b on a.sample_rank + {{ offset }} = b.sample_rank
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

compared as (
    {{ identity_compare('sides') }}
)

select
    {%- for comparison in identity_comparisons() %}
        gamma_{{ comparison.name }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from compared
