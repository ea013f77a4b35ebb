with sales as (

    select * from stg_ticket_sales

),

concerts as (

    select concert_id, artist_id, venue_id from stg_concerts

),

final as (

    select
        sales.sale_id,
        sales.concert_id,
        concerts.artist_id,
        concerts.venue_id,
        sales.customer_id,
        cast(sales.purchased_at as date) as date_day,
        sales.purchased_at,
        sales.price_tier,
        sales.payment_method,
        sales.quantity,
        sales.unit_price,
        sales.total_price as revenue
    from sales
    left join concerts on sales.concert_id = concerts.concert_id

)

select * from final
