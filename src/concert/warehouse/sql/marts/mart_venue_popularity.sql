-- Inputs of the venue popularity model, one row per venue. Demand is weighted by
-- recency: a concert's weight halves every 90 days before the latest concert in
-- the data (not before today, so a rebuild of the same data gives the same mart).
with venues as (

    select * from dim_venue

),

concerts as (

    select * from fact_concerts

),

artists as (

    select artist_id, primary_genre from dim_artist

),

latest as (

    select max(event_date) as latest_event_date from concerts

),

venue_stats as (

    select
        venue_id,
        count(*) as concerts,
        cast(sum(case when status = 'completed' then 1 else 0 end) as bigint) as completed_concerts,
        cast(sum(case when status = 'cancelled' then 1 else 0 end) as bigint) as cancelled_concerts,
        cast(sum(tickets_sold) as bigint) as tickets_sold,
        sum(revenue) as revenue,
        avg(case when status <> 'cancelled' then sell_through end) as avg_sell_through,
        avg(attendance_rate) as avg_attendance_rate,
        max(event_date) as last_event_date
    from concerts
    group by venue_id

),

weighted_concerts as (

    select
        concerts.venue_id,
        concerts.sell_through,
        power(
            0.5, date_diff('day', concerts.event_date, latest.latest_event_date) / 90.0
        ) as weight
    from concerts
    cross join latest
    where concerts.status <> 'cancelled'

),

demand as (

    select
        venue_id,
        sum(weight * sell_through) / nullif(sum(weight), 0) as recency_weighted_demand
    from weighted_concerts
    group by venue_id

),

genre_counts as (

    select
        concerts.venue_id,
        coalesce(artists.primary_genre, 'unknown') as genre,
        count(*) as concerts
    from concerts
    left join artists on concerts.artist_id = artists.artist_id
    group by concerts.venue_id, coalesce(artists.primary_genre, 'unknown')

),

ranked_genres as (

    select
        venue_id,
        genre,
        concerts,
        row_number() over (partition by venue_id order by concerts desc, genre) as genre_rank
    from genre_counts

),

genre_mix as (

    select
        venue_id,
        count(*) as distinct_genres,
        max(case when genre_rank = 1 then genre end) as top_genre,
        max(case when genre_rank = 1 then concerts end) / sum(concerts) as top_genre_share
    from ranked_genres
    group by venue_id

),

final as (

    select
        venues.venue_id,
        venues.venue_name,
        venues.city,
        venues.state,
        venues.country,
        venues.venue_type,
        venues.capacity,
        coalesce(venue_stats.concerts, 0) as concerts,
        coalesce(venue_stats.completed_concerts, 0) as completed_concerts,
        coalesce(venue_stats.cancelled_concerts, 0) as cancelled_concerts,
        coalesce(venue_stats.tickets_sold, 0) as tickets_sold,
        coalesce(venue_stats.revenue, 0) as revenue,
        venue_stats.avg_sell_through,
        venue_stats.avg_attendance_rate,
        venue_stats.revenue / nullif(venues.capacity * venue_stats.concerts, 0) as revenue_per_seat,
        demand.recency_weighted_demand,
        coalesce(genre_mix.distinct_genres, 0) as distinct_genres,
        genre_mix.top_genre,
        genre_mix.top_genre_share,
        venue_stats.last_event_date
    from venues
    left join venue_stats on venues.venue_id = venue_stats.venue_id
    left join demand on venues.venue_id = demand.venue_id
    left join genre_mix on venues.venue_id = genre_mix.venue_id

)

select * from final
