-- First names that are one name's masculine and feminine forms (Jean / Jeanne, Gaël /
-- Gaëlle, Noé / Noémie), both ways, standardised like the names they are compared with.
-- Alike in spelling, they are two people: a household's Jean and Jeanne Vidal, a father
-- and daughter. From the analysts' seed first_name_gendered_forms.
with forms as (
    select
        {{ standardize_name('masculine') }} as masculine,
        {{ standardize_name('feminine') }} as feminine
    from {{ ref('first_name_gendered_forms') }}
)

select distinct
    masculine as name_a,
    feminine as name_b
from forms
union
select distinct
    feminine as name_a,
    masculine as name_b
from forms
