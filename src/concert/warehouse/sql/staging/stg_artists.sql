-- The latest row per artist_id wins (by _ingested_at, then batch id). Keys seen once,
-- nearly all of them, skip the window function: partitioning millions of rows by a
-- unique key costs several times more than finding the few duplicated keys.
with source as (

    select * from raw_artists

),

duplicated_keys as (

    select artist_id
    from source
    group by artist_id
    having count(*) > 1

),

single_rows as (

    select source.*
    from source
    left join duplicated_keys on source.artist_id = duplicated_keys.artist_id
    where duplicated_keys.artist_id is null

),

latest_of_duplicates as (

    select source.*
    from source
    inner join duplicated_keys on source.artist_id = duplicated_keys.artist_id
    qualify row_number() over (
        partition by source.artist_id order by source._ingested_at desc, source._batch_id desc
    ) = 1

),

latest as (

    select * from single_rows
    union all
    select * from latest_of_duplicates

),

final as (

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
