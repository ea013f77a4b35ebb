-- latest rows of raw_ticket_sales by sale_id
with final as (

    select
        sale_id,
        concert_id,
        customer_id,
        price_tier,
        quantity,
        unit_price,
        total_price,
        cast(purchase_timestamp at time zone 'UTC' as timestamp) as purchased_at,
        payment_method,
        _batch_id as batch_id,
        _source as source,
        cast(_ingested_at at time zone 'UTC' as timestamp) as ingested_at
    from latest

)

select * from final
