-- The latest row per {key} of {source} wins (by _ingested_at, then batch id), as the
-- CTE `latest`. Not a model: the loader puts these CTEs in front of every staging model
-- whose first line is "-- latest rows of <raw table> by <key column>".
-- Keys seen once, nearly all of them, skip the window function: partitioning millions of
-- rows by a unique key costs several times more than finding the few duplicated keys.
with source as (

    select * from {source}

),

duplicated_keys as (

    select {key}
    from source
    group by {key}
    having count(*) > 1

),

single_rows as (

    select source.*
    from source
    left join duplicated_keys on source.{key} = duplicated_keys.{key}
    where duplicated_keys.{key} is null

),

latest_of_duplicates as (

    select source.*
    from source
    inner join duplicated_keys on source.{key} = duplicated_keys.{key}
    qualify row_number() over (
        partition by source.{key} order by source._ingested_at desc, source._batch_id desc
    ) = 1

),

latest as (

    select * from single_rows
    union all
    select * from latest_of_duplicates

)
