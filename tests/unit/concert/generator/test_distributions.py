"""The planted effects are really in the demo data, strongly enough to learn from."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from concert.ingest.generator import GeneratedData
from concert.ingest.generator.catalog import VENUE_KINDS

FRIDAY, SATURDAY = 4, 5


def _column(table: pa.Table, name: str) -> np.ndarray:
    return table[name].to_numpy(zero_copy_only=False)


def _shows(data: GeneratedData, artist: list[str], venue: list[str]) -> pa.Table:
    """Concerts with the chosen artist and venue columns (joins carry no list or map)."""
    return (
        data.concerts.select(["concert_id", "artist_id", "venue_id"])
        .join(data.artists.select(["artist_id", *artist]), "artist_id")
        .join(data.venues.select(["venue_id", *venue]), "venue_id")
    )


def _concert_genres(data: GeneratedData) -> dict[str, set[str]]:
    genres = dict(
        zip(data.artists["artist_id"].to_pylist(), data.artists["genres"].to_pylist(), strict=True)
    )
    return {
        concert: set(genres[artist])
        for concert, artist in zip(
            data.concerts["concert_id"].to_pylist(),
            data.concerts["artist_id"].to_pylist(),
            strict=True,
        )
    }


def _tickets_by_artist(data: GeneratedData) -> np.ndarray:
    sold = data.ticket_sales.group_by("concert_id").aggregate([("quantity", "sum")])
    by_artist = (
        sold.join(data.concerts.select(["concert_id", "artist_id"]), "concert_id")
        .group_by("artist_id")
        .aggregate([("quantity_sum", "sum")])
    )
    tickets = np.zeros(data.artists.num_rows)
    tickets[: by_artist.num_rows] = _column(by_artist, "quantity_sum_sum")
    return np.sort(tickets)[::-1]


def test_popularity_is_heavy_tailed_and_the_top_tenth_sells_most_tickets(
    demo: GeneratedData,
) -> None:
    popularity = _column(demo.artists, "popularity")
    assert np.median(popularity) < 40
    assert 0 < (popularity >= 80).mean() < 0.05
    tickets = _tickets_by_artist(demo)
    top_tenth = tickets[: len(tickets) // 10].sum() / tickets.sum()
    assert top_tenth > 0.5


def test_popularity_depends_on_genre(demo: GeneratedData) -> None:
    truth = demo.ground_truth.artists.join(
        demo.artists.select(["artist_id", "popularity"]), "artist_id"
    )
    by_genre: dict[str, list[int]] = defaultdict(list)
    for genre, popularity in zip(
        truth["primary_genre"].to_pylist(), truth["popularity"].to_pylist(), strict=True
    ):
        by_genre[genre].append(popularity)
    mainstream = np.mean(by_genre["pop"] + by_genre["hip hop"])
    niche = np.mean(by_genre["jazz"] + by_genre["blues"] + by_genre["classical"])
    assert mainstream > niche + 8


def test_venue_capacities_stay_within_the_range_of_their_type(demo: GeneratedData) -> None:
    ranges = {k.venue_type.value: (k.min_capacity, k.max_capacity) for k in VENUE_KINDS}
    seen = set()
    for row in demo.venues.to_pylist():
        low, high = ranges[row["venue_type"]]
        assert low <= row["capacity"] <= high, row
        seen.add(row["venue_type"])
    assert seen == set(ranges)


def test_venues_span_real_us_cities_and_a_few_abroad(demo: GeneratedData) -> None:
    venues = demo.venues.to_pylist()
    us = {(v["city"], v["state"]) for v in venues if v["country"] == "US"}
    assert len(us) >= 20
    for city in ("New York", "Los Angeles", "San Francisco", "Chicago", "Austin", "Nashville"):
        assert any(name == city for name, _ in us), city
    assert {v["country"] for v in venues} > {"US"}


def test_popular_artists_play_bigger_venues(demo: GeneratedData) -> None:
    shows = _shows(demo, ["popularity"], ["capacity"])
    popularity, capacity = _column(shows, "popularity"), _column(shows, "capacity")
    assert np.corrcoef(popularity, np.log(capacity))[0, 1] > 0.7
    stars = capacity[popularity >= np.quantile(popularity, 0.9)]
    tail = capacity[popularity <= np.median(popularity)]
    assert np.median(stars) > 5 * np.median(tail)


def test_fridays_and_saturdays_are_the_busiest_days(demo: GeneratedData) -> None:
    truth = demo.ground_truth.concert_demand
    weekday = _column(truth, "weekday")
    shows = np.bincount(weekday, minlength=7)
    others = np.delete(shows, [FRIDAY, SATURDAY])
    assert min(shows[FRIDAY], shows[SATURDAY]) > others.max()
    sell_through = _column(truth, "sell_through")
    weekend = sell_through[np.isin(weekday, [FRIDAY, SATURDAY])].mean()
    early_week = sell_through[np.isin(weekday, [0, 1, 2])].mean()
    assert weekend > early_week


def test_outdoor_venues_book_mostly_in_summer(demo: GeneratedData) -> None:
    truth = demo.ground_truth.concert_demand
    month = truth["local_date"].to_numpy().astype("datetime64[M]").astype(int) % 12
    outdoor = np.isin(_column(truth, "venue_type"), ["amphitheater", "stadium"])
    summer = np.isin(month, [4, 5, 6, 7, 8])
    assert summer[outdoor].mean() > 0.65
    assert summer[outdoor].mean() > summer[~outdoor].mean() + 0.2


def test_price_tiers_are_ordered_and_grow_with_popularity(demo: GeneratedData) -> None:
    order = {k.venue_type.value: [t.name for t in k.tiers] for k in VENUE_KINDS}
    shows = _shows(demo, ["popularity"], ["venue_type"])
    prices_of = dict(
        zip(
            demo.concerts["concert_id"].to_pylist(),
            demo.concerts["ticket_prices"].to_pylist(maps_as_pydicts="strict"),
            strict=True,
        )
    )
    cheapest = []
    for row in shows.select(["concert_id", "venue_type"]).to_pylist():
        prices = prices_of[row["concert_id"]]
        assert list(prices) == order[row["venue_type"]]
        values = list(prices.values())
        assert values == sorted(values) and len(set(values)) == len(values)
        assert max(prices, key=prices.__getitem__) == "vip"
        cheapest.append(values[0])
    assert np.corrcoef(_column(shows, "popularity"), np.log(cheapest))[0, 1] > 0.5


def test_sell_through_is_capped_and_driven_by_demand(demo: GeneratedData) -> None:
    truth = demo.ground_truth.concert_demand
    sell_through = _column(truth, "sell_through")
    assert sell_through.max() <= 1.0
    sold_out = _column(truth, "sold_out")
    assert 0.05 < sold_out.mean() < 0.5
    ratio = _column(truth, "demand") / _column(truth, "capacity")
    assert np.array_equal(sold_out, ratio >= 1.0 - 1e-9) or np.allclose(
        sell_through, np.minimum(1.0, ratio), atol=1e-3
    )
    assert np.corrcoef(np.log(_column(truth, "affinity_factor")), np.log(ratio))[0, 1] > 0


def test_customers_buy_mostly_their_preferred_genres(demo: GeneratedData) -> None:
    preferred: dict[str, set[str]] = defaultdict(set)
    truth = demo.ground_truth.user_genres
    for user, genre in zip(truth["user_id"].to_pylist(), truth["genre"].to_pylist(), strict=True):
        preferred[user].add(genre)
    genres_of = _concert_genres(demo)
    hits: dict[str, int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    sales = demo.ticket_sales.select(["customer_id", "concert_id"]).to_pydict()
    for customer, concert in zip(sales["customer_id"], sales["concert_id"], strict=True):
        totals[customer] += 1
        hits[customer] += bool(genres_of[concert] & preferred[customer])
    shares = np.array([hits[c] / totals[c] for c in totals if totals[c] >= 5])
    assert shares.size > 1_000
    assert np.median(shares) > 0.8
    assert (shares > 0.5).mean() > 0.9


def test_user_genre_weights_are_a_ranked_distribution(demo: GeneratedData) -> None:
    truth = demo.ground_truth.user_genres
    totals = truth.group_by("user_id").aggregate([("weight", "sum"), ("rank", "max")])
    assert np.allclose(_column(totals, "weight_sum"), 1.0)
    assert set(_column(totals, "rank_max")) == {1, 2, 3}
    first = truth.filter(pc.equal(truth["rank"], 1))
    assert first.num_rows == demo.ground_truth.users.num_rows


def test_cities_prefer_their_genres(demo: GeneratedData) -> None:
    sold = demo.ticket_sales.group_by("concert_id").aggregate([("quantity", "sum")])
    shows = _shows(demo, [], ["city"]).join(sold, "concert_id", join_type="inner")
    tickets = _column(shows, "quantity_sum")
    genres_of = _concert_genres(demo)
    country = np.array(["country" in genres_of[c] for c in shows["concert_id"].to_pylist()])
    nashville = _column(shows, "city") == "Nashville"
    share_nashville = tickets[nashville & country].sum() / tickets[nashville].sum()
    share_everywhere = tickets[country].sum() / tickets.sum()
    assert share_nashville > 1.5 * share_everywhere


def test_browsing_follows_the_same_preferences(demo: GeneratedData) -> None:
    preferred: dict[str, set[str]] = defaultdict(set)
    truth = demo.ground_truth.user_genres
    for user, genre in zip(truth["user_id"].to_pylist(), truth["genre"].to_pylist(), strict=True):
        preferred[user].add(genre)
    interactions = demo.user_interactions
    searches = interactions.filter(pc.is_valid(interactions["genre"])).to_pydict()
    hits = [
        genre in preferred[user]
        for user, genre in zip(searches["user_id"], searches["genre"], strict=True)
    ]
    assert len(hits) > 1_000
    assert np.mean(hits) > 0.7
