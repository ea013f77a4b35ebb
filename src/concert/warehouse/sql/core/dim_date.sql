-- A calendar with one row per day from the first to the last day the data mentions.
-- Days are counted with a digits cross join, not generate_series: Redshift runs
-- generate_series on its leader node only, so it cannot feed a table.
with sale_days as (

    select min(date_day) as first_day, max(date_day) as last_day from fact_ticket_sales

),

concert_days as (

    select min(event_date) as first_day, max(event_date) as last_day from stg_concerts

),

ranges as (

    select first_day, last_day from sale_days
    union all
    select first_day, last_day from concert_days

),

bounds as (

    select min(first_day) as first_day, max(last_day) as last_day from ranges

),

digits as (

    select 0 as digit union all select 1 union all select 2 union all select 3
    union all select 4 union all select 5 union all select 6 union all select 7
    union all select 8 union all select 9

),

day_numbers as (

    select
        ones.digit
        + 10 * tens.digit
        + 100 * hundreds.digit
        + 1000 * thousands.digit
        + 10000 * ten_thousands.digit as day_number
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as ten_thousands

),

calendar as (

    select bounds.first_day + day_numbers.day_number as date_day
    from bounds
    cross join day_numbers
    where day_numbers.day_number <= date_diff('day', bounds.first_day, bounds.last_day)

),

parts as (

    select
        date_day,
        cast(extract(year from date_day) as integer) as year,
        cast(extract(quarter from date_day) as integer) as quarter,
        cast(extract(month from date_day) as integer) as month,
        cast(extract(day from date_day) as integer) as day_of_month,
        cast(extract(dow from date_day) as integer) as day_of_week
    from calendar

),

final as (

    select
        date_day,
        year,
        quarter,
        month,
        cast(date_trunc('month', date_day) as date) as month_start,
        day_of_month,
        day_of_week,
        case day_of_week
            when 0 then 'Sunday'
            when 1 then 'Monday'
            when 2 then 'Tuesday'
            when 3 then 'Wednesday'
            when 4 then 'Thursday'
            when 5 then 'Friday'
            else 'Saturday'
        end as weekday_name,
        day_of_week in (0, 6) as is_weekend,
        case
            when month in (12, 1, 2) then 'winter'
            when month in (3, 4, 5) then 'spring'
            when month in (6, 7, 8) then 'summer'
            else 'autumn'
        end as season
    from parts

)

select * from final
