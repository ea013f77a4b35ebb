-- An artist's genre is its primary (first listed) genre: expanding every genre of
-- a list needs UNNEST, which Redshift has no portable equivalent for. Sales are
-- summed per concert and month first, then placed and labelled.
with concert_months as (

    select
        concert_id,
        artist_id,
        venue_id,
        cast(date_trunc('month', date_day) as date) as month_start,
        cast(sum(quantity) as bigint) as tickets,
        sum(revenue) as revenue,
        count(*) as orders
    from fact_ticket_sales
    group by concert_id, artist_id, venue_id, cast(date_trunc('month', date_day) as date)

),

artists as (

    select artist_id, primary_genre from dim_artist

),

venues as (

    select venue_id, city, state, country from dim_venue

),

located as (

    select
        coalesce(artists.primary_genre, 'unknown') as genre,
        venues.country,
        venues.state,
        venues.city,
        concert_months.month_start,
        concert_months.concert_id,
        concert_months.tickets,
        concert_months.revenue,
        concert_months.orders
    from concert_months
    inner join venues on concert_months.venue_id = venues.venue_id
    left join artists on concert_months.artist_id = artists.artist_id

),

final as (

    select
        genre,
        country,
        state,
        city,
        month_start,
        cast(sum(tickets) as bigint) as tickets,
        sum(revenue) as revenue,
        cast(sum(orders) as bigint) as orders,
        count(distinct concert_id) as concerts
    from located
    group by genre, country, state, city, month_start

)

select * from final
