-- Each fan's current value of every tracked dimension, one row per fan and dimension, as
-- of this run: rfm_segment (marts.fan_rfm), tier (marts.fan_loyalty), abc (marts.fan_abc).
-- A fan without a value (no purchase in the RFM window, no revenue for ABC) has no row.
select
    fan_id,
    'rfm_segment' as dimension,
    rfm_segment as state_value
from {{ ref('fan_rfm') }}
where rfm_segment is not null

union all

select
    fan_id,
    'tier' as dimension,
    loyalty_tier as state_value
from {{ ref('fan_loyalty') }}
where loyalty_tier is not null

union all

select
    fan_id,
    'abc' as dimension,
    abc_class as state_value
from {{ ref('fan_abc') }}
where abc_class is not null
