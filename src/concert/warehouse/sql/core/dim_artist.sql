with artists as (

    select * from stg_artists

),

final as (

    select
        artist_id,
        artist_name,
        coalesce(primary_genre, 'unknown') as primary_genre,
        genres,
        popularity,
        case
            when popularity >= 80 then 'headliner'
            when popularity >= 50 then 'established'
            when popularity >= 20 then 'rising'
            else 'emerging'
        end as popularity_tier,
        formation_date,
        spotify_id
    from artists

)

select * from final
