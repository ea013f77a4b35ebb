-- latest rows of raw_venues by venue_id
with final as (

    select
        venue_id,
        name as venue_name,
        city,
        state,
        country,
        capacity,
        venue_type,
        latitude,
        longitude,
        _batch_id as batch_id,
        _source as source,
        cast(_ingested_at at time zone 'UTC' as timestamp) as ingested_at
    from latest

)

select * from final
