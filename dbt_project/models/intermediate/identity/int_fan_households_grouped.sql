-- Each identified fan's household: fans linked, directly or through one another, by a
-- street address (with its postal code), a mailbox or a phone they share. A key shared by
-- more than `household_max_fans` fans is nobody's home (a club's generic mailbox, a
-- box-office address) and links no one. Households are small, so min-label propagation
-- over the fan-key graph, unrolled `household_label_iterations` times, finds them in plain
-- SQL; the household is named after its smallest fan id, stable like fan ids.
-- Unlinked attendees (a holder's name only) have no home of their own: no household.
with records as (
    select
        fan_records.fan_id,
        standardized.email_mailbox,
        standardized.phone_e164,
        case
            when standardized.address_std is not null and standardized.postal_code_std is not null
                then {{ dbt.concat(['standardized.address_std', "'|'", 'standardized.postal_code_std']) }}
        end as address_key
    from {{ ref('int_identity_records_clustered') }} as fan_records
    inner join {{ ref('int_identity_records_standardized') }} as standardized
        on fan_records.record_type = standardized.record_type and fan_records.record_id = standardized.record_id
    where fan_records.fan_identity_confidence = 'identified'
),

{%- set keys = {'address': 'address_key', 'mailbox': 'email_mailbox', 'phone': 'phone_e164'} %}

fan_keys as (
    {%- for key, column in keys.items() %}
        select distinct
            fan_id,
            '{{ key }}' as key_name,
            {{ column }} as key_value
        from records
        where {{ column }} is not null
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),

shared_keys as (
    select
        key_name,
        key_value
    from fan_keys
    group by key_name, key_value
    having count(*) between 2 and {{ var('household_max_fans') }}
),

edges as (
    select fan_keys.*
    from fan_keys
    inner join shared_keys
        on fan_keys.key_name = shared_keys.key_name and fan_keys.key_value = shared_keys.key_value
),

fan_labels_0 as (
    select distinct
        fan_id,
        fan_id as fan_label
    from records
),

{% for i in range(1, var('household_label_iterations') + 1) %}
    key_labels_{{ i }} as (
        select
            edges.key_name,
            edges.key_value,
            min(fan_labels_{{ i - 1 }}.fan_label) as fan_label
        from edges
        inner join fan_labels_{{ i - 1 }} on edges.fan_id = fan_labels_{{ i - 1 }}.fan_id
        group by edges.key_name, edges.key_value
    ),

    fan_labels_{{ i }} as (
        select
            fan_labels_{{ i - 1 }}.fan_id,
            least(
                fan_labels_{{ i - 1 }}.fan_label,
                coalesce(min(key_labels_{{ i }}.fan_label), fan_labels_{{ i - 1 }}.fan_label)
            ) as fan_label
        from fan_labels_{{ i - 1 }}
        left join edges on fan_labels_{{ i - 1 }}.fan_id = edges.fan_id
        left join key_labels_{{ i }}
            on edges.key_name = key_labels_{{ i }}.key_name and edges.key_value = key_labels_{{ i }}.key_value
        group by fan_labels_{{ i - 1 }}.fan_id, fan_labels_{{ i - 1 }}.fan_label
    ),
{% endfor %}

households as (
    select
        fan_id,
        {{ surrogate_id('H', 'fan_label') }} as household_id
    from fan_labels_{{ var('household_label_iterations') }}
)

select
    households.fan_id,
    households.household_id,
    {%- for key in keys %}
        max(case when edges.key_name = '{{ key }}' then 1 else 0 end) = 1 as shares_{{ key }}{% if not loop.last %},{% endif %}
    {%- endfor %}
from households
left join edges on households.fan_id = edges.fan_id
group by households.fan_id, households.household_id
