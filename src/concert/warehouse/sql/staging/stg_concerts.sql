-- The latest row per concert_id wins (by _ingested_at, then batch id). Keys seen once,
-- nearly all of them, skip the window function: partitioning millions of rows by a
-- unique key costs several times more than finding the few duplicated keys.
with source as (

    select * from raw_concerts

),

duplicated_keys as (

    select concert_id
    from source
    group by concert_id
    having count(*) > 1

),

single_rows as (

    select source.*
    from source
    left join duplicated_keys on source.concert_id = duplicated_keys.concert_id
    where duplicated_keys.concert_id is null

),

latest_of_duplicates as (

    select source.*
    from source
    inner join duplicated_keys on source.concert_id = duplicated_keys.concert_id
    qualify row_number() over (
        partition by source.concert_id order by source._ingested_at desc, source._batch_id desc
    ) = 1

),

latest as (

    select * from single_rows
    union all
    select * from latest_of_duplicates

),

final as (

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
