-- latest rows of raw_user_interactions by interaction_id
with final as (

    select
        interaction_id,
        user_id,
        interaction_type,
        cast("timestamp" at time zone 'UTC' as timestamp) as interacted_at,
        artist_id,
        concert_id,
        venue_id,
        genre,
        session_id,
        _batch_id as batch_id,
        _source as source,
        cast(_ingested_at at time zone 'UTC' as timestamp) as ingested_at
    from latest

)

select * from final
