-- latest rows of raw_concerts by concert_id
with final as (

    select
        concert_id,
        artist_id,
        venue_id,
        cast(event_date at time zone 'UTC' as timestamp) as event_at,
        cast(event_date at time zone 'UTC' as date) as event_date,
        ticket_prices,
        total_attendance,
        revenue as reported_revenue,
        status,
        _batch_id as batch_id,
        _source as source,
        cast(_ingested_at at time zone 'UTC' as timestamp) as ingested_at
    from latest

)

select * from final
