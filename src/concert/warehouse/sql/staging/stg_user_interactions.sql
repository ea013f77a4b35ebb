-- The latest row per interaction_id wins (by _ingested_at, then batch id). Keys seen once,
-- nearly all of them, skip the window function: partitioning millions of rows by a
-- unique key costs several times more than finding the few duplicated keys.
with source as (

    select * from raw_user_interactions

),

duplicated_keys as (

    select interaction_id
    from source
    group by interaction_id
    having count(*) > 1

),

single_rows as (

    select source.*
    from source
    left join duplicated_keys on source.interaction_id = duplicated_keys.interaction_id
    where duplicated_keys.interaction_id is null

),

latest_of_duplicates as (

    select source.*
    from source
    inner join duplicated_keys on source.interaction_id = duplicated_keys.interaction_id
    qualify row_number() over (
        partition by source.interaction_id order by source._ingested_at desc, source._batch_id desc
    ) = 1

),

latest as (

    select * from single_rows
    union all
    select * from latest_of_duplicates

),

final as (

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
