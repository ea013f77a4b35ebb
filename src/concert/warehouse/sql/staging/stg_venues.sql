-- The latest row per venue_id wins (by _ingested_at, then batch id). Keys seen once,
-- nearly all of them, skip the window function: partitioning millions of rows by a
-- unique key costs several times more than finding the few duplicated keys.
with source as (

    select * from raw_venues

),

duplicated_keys as (

    select venue_id
    from source
    group by venue_id
    having count(*) > 1

),

single_rows as (

    select source.*
    from source
    left join duplicated_keys on source.venue_id = duplicated_keys.venue_id
    where duplicated_keys.venue_id is null

),

latest_of_duplicates as (

    select source.*
    from source
    inner join duplicated_keys on source.venue_id = duplicated_keys.venue_id
    qualify row_number() over (
        partition by source.venue_id order by source._ingested_at desc, source._batch_id desc
    ) = 1

),

latest as (

    select * from single_rows
    union all
    select * from latest_of_duplicates

),

final as (

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
