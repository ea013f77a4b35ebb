-- One row per day from the first to the last sale, days without sales included as
-- zeros so the 7-day moving averages cover 7 calendar days.
with sales as (

    select * from fact_ticket_sales

),

calendar as (

    select * from dim_date

),

daily as (

    select
        date_day,
        cast(sum(quantity) as bigint) as tickets,
        sum(revenue) as revenue,
        count(*) as orders,
        count(distinct customer_id) as customers
    from sales
    group by date_day

),

bounds as (

    select min(date_day) as first_day, max(date_day) as last_day from daily

),

filled as (

    select
        calendar.date_day,
        calendar.day_of_week,
        calendar.weekday_name,
        calendar.is_weekend,
        coalesce(daily.tickets, 0) as tickets,
        coalesce(daily.revenue, 0) as revenue,
        coalesce(daily.orders, 0) as orders,
        coalesce(daily.customers, 0) as customers
    from calendar
    cross join bounds
    left join daily on calendar.date_day = daily.date_day
    where calendar.date_day between bounds.first_day and bounds.last_day

),

final as (

    select
        date_day,
        day_of_week,
        weekday_name,
        is_weekend,
        tickets,
        revenue,
        orders,
        customers,
        revenue / nullif(orders, 0) as avg_order_value,
        avg(cast(tickets as double)) over (
            order by date_day rows between 6 preceding and current row
        ) as tickets_7d_avg,
        avg(revenue) over (
            order by date_day rows between 6 preceding and current row
        ) as revenue_7d_avg,
        avg(cast(orders as double)) over (
            order by date_day rows between 6 preceding and current row
        ) as orders_7d_avg
    from filled

)

select * from final
