-- latest rows of raw_artists by artist_id
with final as (

    select
        artist_id,
        name as artist_name,
        genres,
        cast(genres[1] as varchar) as primary_genre,
        popularity,
        formation_date,
        spotify_id,
        _batch_id as batch_id,
        _source as source,
        cast(_ingested_at at time zone 'UTC' as timestamp) as ingested_at
    from latest

)

select * from final
