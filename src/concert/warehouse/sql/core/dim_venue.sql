with venues as (

    select * from stg_venues

),

final as (

    select
        venue_id,
        venue_name,
        city,
        state,
        country,
        venue_type,
        capacity,
        case
            when capacity < 1000 then 'small'
            when capacity < 5000 then 'medium'
            when capacity < 20000 then 'large'
            else 'very_large'
        end as capacity_band,
        latitude,
        longitude
    from venues

)

select * from final
