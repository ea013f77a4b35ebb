-- One pass over the sales, by customer and genre; the customer totals are sums of
-- those few rows per customer. The favourite genre prefers a known one over 'unknown'.
with sales as (

    select * from fact_ticket_sales

),

artists as (

    select artist_id, primary_genre from dim_artist

),

customer_genres as (

    select
        sales.customer_id,
        coalesce(artists.primary_genre, 'unknown') as genre,
        min(sales.purchased_at) as first_purchase_at,
        max(sales.purchased_at) as last_purchase_at,
        count(*) as orders,
        cast(sum(sales.quantity) as bigint) as tickets,
        sum(sales.revenue) as total_spend
    from sales
    left join artists on sales.artist_id = artists.artist_id
    group by sales.customer_id, coalesce(artists.primary_genre, 'unknown')

),

totals as (

    select
        customer_id,
        min(first_purchase_at) as first_purchase_at,
        max(last_purchase_at) as last_purchase_at,
        cast(sum(orders) as bigint) as orders,
        cast(sum(tickets) as bigint) as tickets,
        sum(total_spend) as total_spend
    from customer_genres
    group by customer_id

),

favourite_genres as (

    select customer_id, genre
    from customer_genres
    qualify row_number() over (
        partition by customer_id
        order by case when genre = 'unknown' then 1 else 0 end, tickets desc, genre
    ) = 1

),

final as (

    select
        totals.customer_id,
        totals.first_purchase_at,
        totals.last_purchase_at,
        totals.orders,
        totals.tickets,
        totals.total_spend,
        totals.total_spend / totals.orders as avg_order_value,
        favourite_genres.genre as favourite_genre
    from totals
    left join favourite_genres on totals.customer_id = favourite_genres.customer_id

)

select * from final
