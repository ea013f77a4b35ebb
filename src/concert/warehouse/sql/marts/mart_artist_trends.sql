-- Tickets and revenue by purchase month, concerts by event month, per artist;
-- growth compares with the calendar month before (NULL when it had no activity).
with sales as (

    select * from fact_ticket_sales where artist_id is not null

),

concerts as (

    select * from fact_concerts

),

artists as (

    select artist_id, artist_name, primary_genre from dim_artist

),

monthly_sales as (

    select
        artist_id,
        cast(date_trunc('month', date_day) as date) as month_start,
        cast(sum(quantity) as bigint) as tickets,
        sum(revenue) as revenue,
        count(*) as orders
    from sales
    group by artist_id, cast(date_trunc('month', date_day) as date)

),

monthly_concerts as (

    select
        artist_id,
        cast(date_trunc('month', event_date) as date) as month_start,
        count(*) as concerts
    from concerts
    group by artist_id, cast(date_trunc('month', event_date) as date)

),

months as (

    select
        coalesce(monthly_sales.artist_id, monthly_concerts.artist_id) as artist_id,
        coalesce(monthly_sales.month_start, monthly_concerts.month_start) as month_start,
        coalesce(monthly_sales.tickets, 0) as tickets,
        coalesce(monthly_sales.revenue, 0) as revenue,
        coalesce(monthly_sales.orders, 0) as orders,
        coalesce(monthly_concerts.concerts, 0) as concerts
    from monthly_sales
    full outer join monthly_concerts
        on monthly_sales.artist_id = monthly_concerts.artist_id
        and monthly_sales.month_start = monthly_concerts.month_start

),

final as (

    select
        this_month.artist_id,
        artists.artist_name,
        artists.primary_genre,
        this_month.month_start,
        this_month.tickets,
        this_month.revenue,
        this_month.orders,
        this_month.concerts,
        last_month.tickets as previous_tickets,
        last_month.revenue as previous_revenue,
        (this_month.tickets - last_month.tickets)
        / nullif(last_month.tickets, 0) as tickets_growth,
        (this_month.revenue - last_month.revenue)
        / nullif(last_month.revenue, 0) as revenue_growth
    from months as this_month
    left join months as last_month
        on this_month.artist_id = last_month.artist_id
        and last_month.month_start = cast(this_month.month_start - interval 1 month as date)
    left join artists on this_month.artist_id = artists.artist_id

)

select * from final
