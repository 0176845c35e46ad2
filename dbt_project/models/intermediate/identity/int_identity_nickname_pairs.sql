-- First names that are the same person's (Robert / Rob, Jean-Baptiste / JB), both ways,
-- standardised like the names they are compared with; two nicknames of one name (Bob /
-- Rob) count too. From the analysts' seed first_name_nicknames.
with nicknames as (
    select
        {{ standardize_name('first_name') }} as full_form,
        {{ standardize_name('nickname') }} as short_form
    from {{ ref('first_name_nicknames') }}
),

forms as (
    select
        full_form,
        full_form as name_form
    from nicknames
    union
    select
        full_form,
        short_form as name_form
    from nicknames
)

select distinct
    a.name_form as name_a,
    b.name_form as name_b
from forms as a
inner join forms as b
    on a.full_form = b.full_form and a.name_form <> b.name_form
