with source as (
    select * from {{ source('ticketing', 'matches') }}
),

-- a column missing from a newer snapshot is unknown there, not erased (see stg_email__contacts)
known as (
    select
        match_id,
        {{ newest_known_columns(
            ['match_date', 'season', 'competition', 'opponent', 'home_away', 'venue', 'capacity'],
            'match_id') }},
        _export_date,
        _source_file,
        _source_line
    from source
),

renamed as (
    select
        {{ empty_as_null('match_id') }} as match_id,
        {{ parse_date('match_date') }} as match_date,
        {{ parse_date_time_to_utc('match_date') }} as kickoff_at,
        {{ empty_as_null('season') }} as season,
        {{ empty_as_null('competition') }} as competition,
        {{ empty_as_null('opponent') }} as opponent,
        upper({{ empty_as_null('home_away') }}) as home_away,
        upper({{ empty_as_null('home_away') }}) = 'D' as is_home,
        {{ empty_as_null('venue') }} as venue,
        {{ parse_integer('capacity') }} as capacity,
        _export_date,
        _source_file,
        _source_line
    from known
),

-- snapshot: the newest export holds the current fixture
deduped as (
    {{ dedupe('renamed', 'match_id', '_export_date desc, _source_file desc, _source_line desc') }}
)

select
    match_id,
    match_date,
    kickoff_at,
    season,
    competition,
    opponent,
    home_away,
    is_home,
    venue,
    capacity,
    _export_date,
    _source_file,
    _source_line
from deduped
where match_id is not null
