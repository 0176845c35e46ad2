-- Each identity record with its fan and how it was linked:
--   singleton               the fan has this record only;
--   identical_identity      same standardised email, phone, name, birth date and postal
--                           code as another record of the fan;
--   same_ticketing_account  an order of the fan's ticketing account;
--   holder_is_buyer         a ticket holder named like the buyer of its order;
--   probabilistic           a Fellegi-Sunter link (match_score = match probability);
--   personal_mailbox        a mailbox only one person uses, nothing disagreeing;
--   holder_in_buyer_world   a ticket holder named like a person sharing the buyer's account,
--                           mailbox, phone or address;
--   holder_recurring        the same holder name on orders of one buyer.
-- fan_identity_confidence: `unlinked_attendee` when all the fan's records are ticket
-- holders without a mailbox of their own (a name typed by a buyer, tied to nobody; the
-- email on it, if any, is one another fan also uses: most often the buyer's, typed again):
-- such a fan is kept and visible but is not counted as a person in fan counts;
-- `identified` otherwise. A fan anonymised under retention keeps the confidence it had
-- (its records no longer carry the mailboxes that decided it).
-- is_retained: the record was anonymised under retention (stg_privacy__retained_records).
-- The source of marts.fan_source_records and of every fact's fan_id.
with records as (
    select * from {{ ref('int_identity_records_unioned') }}
),

standardized as (
    select * from {{ ref('int_identity_records_standardized') }}
),

profiles as (
    select * from {{ ref('int_identity_profiles_clustered') }}
),

fans as (
    select * from {{ ref('int_fan_ids_assigned') }}
),

retained as (
    select * from {{ ref('stg_privacy__retained_records') }}
),

joined as (
    select
        records.*,
        standardized.profile_id,
        standardized.email_mailbox,
        standardized.phone_e164,
        standardized.postal_code_std,
        standardized.is_retained,
        retained.identity_confidence as retained_identity_confidence,
        fans.fan_id,
        fans.fan_id_issued_on,
        fans.previous_fan_id,
        profiles.link_rule,
        profiles.link_probability,
        profiles.link_evidence,
        count(*) over (partition by fans.fan_id) as fan_record_count,
        count(*) over (partition by standardized.profile_id) as profile_record_count
    from records
    inner join standardized
        on records.record_type = standardized.record_type and records.record_id = standardized.record_id
    inner join fans
        on records.record_type = fans.record_type and records.record_id = fans.record_id
    inner join profiles on standardized.profile_id = profiles.profile_id
    left join retained
        on records.record_type = retained.record_type and records.record_id = retained.record_id
),

mailbox_users as (
    select
        email_mailbox,
        count(distinct fan_id) as fan_count
    from joined
    where email_mailbox is not null
    group by email_mailbox
),

with_confidence as (
    select
        joined.*,
        min(
            case
                when
                    joined.record_type = 'ticket_holder'
                    and (joined.email_mailbox is null or mailbox_users.fan_count > 1)
                    then 1
                else 0
            end
        ) over (partition by joined.fan_id) as is_unlinked_attendee,
        min(joined.retained_identity_confidence) over (partition by joined.fan_id) as retained_identity_confidence_of_fan
    from joined
    left join mailbox_users on joined.email_mailbox = mailbox_users.email_mailbox
)

select
    record_type,
    record_id,
    fan_id,
    fan_id_issued_on,
    previous_fan_id,
    cast(case
        when fan_record_count = 1 then null
        when link_rule is not null then link_probability
        else 1.0
    end as decimal(5, 4)) as match_score,
    profile_id,
    email,
    email_normalized,
    email_mailbox,
    first_name,
    last_name,
    full_name,
    phone,
    phone_e164,
    birth_date,
    postal_code,
    postal_code_std,
    record_at,
    is_retained,
    case
        when fan_record_count = 1 then 'singleton'
        when link_rule is not null then link_rule
        else 'identical_identity'
    end as match_rule,
    case
        when fan_record_count = 1 then null
        when link_rule is not null then link_evidence
        else 'identical email, phone, name, birth date and postal code as another record of the fan'
    end as match_evidence,
    case
        when retained_identity_confidence_of_fan is not null then retained_identity_confidence_of_fan
        when is_unlinked_attendee = 1 then 'unlinked_attendee'
        else 'identified'
    end as fan_identity_confidence
from with_confidence
