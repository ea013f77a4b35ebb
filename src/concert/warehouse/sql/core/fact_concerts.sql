-- Sales are summed per concert and day first (a few hundred thousand rows for ten
-- million sales), so the running total that finds the sell-out day is cheap.
with concerts as (

    select * from stg_concerts

),

venues as (

    select venue_id, capacity from stg_venues

),

daily_sales as (

    select
        concert_id,
        date_day,
        count(*) as orders,
        cast(sum(quantity) as bigint) as tickets,
        sum(revenue) as revenue,
        min(purchased_at) as first_sale_at,
        max(purchased_at) as last_sale_at
    from fact_ticket_sales
    group by concert_id, date_day

),

sales_totals as (

    select
        concert_id,
        cast(sum(orders) as bigint) as orders,
        cast(sum(tickets) as bigint) as tickets_sold,
        sum(revenue) as revenue,
        min(first_sale_at) as first_sale_at,
        max(last_sale_at) as last_sale_at
    from daily_sales
    group by concert_id

),

running_sales as (

    select
        daily_sales.concert_id,
        daily_sales.date_day,
        venues.capacity,
        sum(daily_sales.tickets) over (
            partition by daily_sales.concert_id
            order by daily_sales.date_day
            rows between unbounded preceding and current row
        ) as tickets_so_far
    from daily_sales
    inner join concerts on daily_sales.concert_id = concerts.concert_id
    inner join venues on concerts.venue_id = venues.venue_id

),

sell_outs as (

    select concert_id, min(date_day) as sold_out_day
    from running_sales
    where tickets_so_far >= capacity
    group by concert_id

),

final as (

    select
        concerts.concert_id,
        concerts.artist_id,
        concerts.venue_id,
        concerts.event_date,
        concerts.event_at,
        concerts.status,
        venues.capacity,
        coalesce(sales_totals.orders, 0) as orders,
        coalesce(sales_totals.tickets_sold, 0) as tickets_sold,
        coalesce(sales_totals.revenue, 0) as revenue,
        coalesce(sales_totals.tickets_sold, 0) / venues.capacity as sell_through,
        concerts.total_attendance as attendance,
        concerts.total_attendance / venues.capacity as attendance_rate,
        sales_totals.revenue / nullif(sales_totals.tickets_sold, 0) as avg_ticket_price,
        concerts.reported_revenue,
        sales_totals.first_sale_at,
        sales_totals.last_sale_at,
        sell_outs.sold_out_day is not null as sold_out,
        date_diff(
            'day', cast(sales_totals.first_sale_at as date), sell_outs.sold_out_day
        ) as days_to_sell_out
    from concerts
    left join venues on concerts.venue_id = venues.venue_id
    left join sales_totals on concerts.concert_id = sales_totals.concert_id
    left join sell_outs on concerts.concert_id = sell_outs.concert_id

)

select * from final
