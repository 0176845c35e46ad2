-- Monthly cohorts of buyers by the month of their first counted purchase (any channel),
-- followed month by month up to the as-of month. Definitions: _kpi__models.yml.
with as_of as (
    select
        as_of_date,
        cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as as_of_month
    from {{ ref('int_run_as_of_resolved') }}
),

fan_months as (
    select distinct
        purchases.fan_id,
        purchases.first_purchase_month as cohort_month,
        purchases.purchase_month
    from {{ ref('int_purchases_sequenced') }} as purchases
    cross join as_of
    where
        purchases.is_counted
        and purchases.fan_id is not null
        and purchases.first_purchase_date <= as_of.as_of_date
        and purchases.purchase_date <= as_of.as_of_date
),

cohort_sizes as (
    select
        cohort_month,
        count(distinct fan_id) as cohort_size
    from fan_months
    group by cohort_month
),

cohorts as (
    select
        cohort_sizes.cohort_month,
        cohort_sizes.cohort_size,
        as_of.as_of_month,
        -- whole months between two month starts (portable, no engine-specific datediff)
        (extract(year from as_of.as_of_month) - extract(year from cohort_sizes.cohort_month)) * 12
        + extract(month from as_of.as_of_month) - extract(month from cohort_sizes.cohort_month) as months_to_as_of
    from cohort_sizes
    cross join as_of
),

offsets as (
    select generated_number - 1 as months_since_first_purchase
    from ({{ dbt.generate_series(var('kpi_cohort_max_months') + 1) }}) as series
),

grid as (
    select
        cohorts.cohort_month,
        cohorts.cohort_size,
        offsets.months_since_first_purchase,
        cast({{ dbt.dateadd('month', 'offsets.months_since_first_purchase', 'cohorts.cohort_month') }} as date)
            as activity_month,
        as_of.as_of_date,
        as_of.as_of_month
    from cohorts
    cross join offsets
    cross join as_of
    where offsets.months_since_first_purchase <= cohorts.months_to_as_of
),

fan_offsets as (
    select
        fan_id,
        cohort_month,
        (extract(year from purchase_month) - extract(year from cohort_month)) * 12
        + extract(month from purchase_month) - extract(month from cohort_month) as months_since_first_purchase
    from fan_months
),

activity as (
    -- per cohort and month k: fans buying in month k, and fans buying at least once in the
    -- kpi_churn_months months ending with month k (the others are churned)
    select
        grid.cohort_month,
        grid.months_since_first_purchase,
        count(distinct case
            when grid.months_since_first_purchase = fan_offsets.months_since_first_purchase
                then fan_offsets.fan_id
        end) as active_fans,
        count(distinct fan_offsets.fan_id) as fans_buying_in_churn_window
    from grid
    inner join fan_offsets
        on
            grid.cohort_month = fan_offsets.cohort_month
            and grid.months_since_first_purchase >= fan_offsets.months_since_first_purchase
            and grid.months_since_first_purchase - {{ var('kpi_churn_months') }} < fan_offsets.months_since_first_purchase
    group by grid.cohort_month, grid.months_since_first_purchase
)

select
    grid.cohort_month,
    cast(grid.months_since_first_purchase as integer) as months_since_first_purchase,
    grid.activity_month,
    cast(grid.cohort_size as integer) as cohort_size,
    cast(coalesce(activity.active_fans, 0) as integer) as active_fans,
    cast(1.0 * coalesce(activity.active_fans, 0) / grid.cohort_size as double) as retention_rate,
    cast(grid.cohort_size - coalesce(activity.fans_buying_in_churn_window, 0) as integer) as churned_fans,
    cast(1.0 * (grid.cohort_size - coalesce(activity.fans_buying_in_churn_window, 0)) / grid.cohort_size as double)
        as churn_rate,
    {{ is_complete_month('grid.activity_month', 'grid.as_of_date') }} as is_complete_month
from grid
left join activity
    on
        grid.cohort_month = activity.cohort_month
        and grid.months_since_first_purchase = activity.months_since_first_purchase
