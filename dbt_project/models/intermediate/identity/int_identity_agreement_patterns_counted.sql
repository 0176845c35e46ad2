-- How many candidate pairs show each agreement pattern (one comparison level per field):
-- the small table expectation-maximisation iterates over.
select
    gamma_email,
    gamma_phone,
    gamma_name,
    gamma_birth,
    gamma_postal,
    count(*) as pair_count
from {{ ref('int_identity_pairs_compared') }}
group by gamma_email, gamma_phone, gamma_name, gamma_birth, gamma_postal
