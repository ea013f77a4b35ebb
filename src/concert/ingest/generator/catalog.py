"""The generator's world knowledge: genres, cities, venue types, price tiers, names.

Effects planted here (the ML issues rely on them):

- Genres differ in how common they are (``GENRE_SHARE``: rock, pop and hip hop
  lead, reggae and classical are rare) and in how popular their artists tend
  to be (``GENRE_POPULARITY_SHIFT``: pop and hip hop artists skew popular,
  jazz, blues and classical skew niche). Secondary genres come from
  ``RELATED_GENRES``, so genre pairs are plausible (rock+indie, not jazz+metal).
- Every city has a genre affinity (``City.affinity``, 1.0 when unlisted):
  Nashville loves country, New Orleans jazz, Atlanta hip hop, Miami latin,
  Berlin electronic. Affinity raises both where artists of a genre play and how
  many tickets they sell there, and customers living there prefer those genres,
  so "which genres are popular in California" has a real answer.
- Venue types fix the capacity range, the share of venues, whether the venue
  is outdoors (summer seasonality), the price level and the price tiers with
  the share of capacity each tier holds. Tiers are listed cheapest first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from concert.domain.models import PaymentMethod, VenueType

GENRES: tuple[str, ...] = (
    "rock",
    "pop",
    "hip hop",
    "indie",
    "electronic",
    "country",
    "r&b",
    "metal",
    "folk",
    "latin",
    "jazz",
    "punk",
    "soul",
    "blues",
    "classical",
    "reggae",
)
GENRE_INDEX = {genre: index for index, genre in enumerate(GENRES)}

# Share of artists with the genre as their primary genre (same order as GENRES).
GENRE_SHARE: tuple[float, ...] = (
    0.14, 0.12, 0.12, 0.10, 0.09, 0.08, 0.06, 0.05,
    0.05, 0.05, 0.04, 0.03, 0.02, 0.02, 0.02, 0.01,
)  # fmt: skip

# Shift of an artist's latent fame (in standard deviations) by primary genre.
GENRE_POPULARITY_SHIFT: dict[str, float] = {
    "pop": 0.45,
    "hip hop": 0.35,
    "latin": 0.2,
    "r&b": 0.15,
    "rock": 0.1,
    "electronic": 0.1,
    "country": 0.1,
    "indie": -0.1,
    "metal": -0.15,
    "soul": -0.2,
    "punk": -0.25,
    "folk": -0.25,
    "reggae": -0.25,
    "jazz": -0.4,
    "blues": -0.45,
    "classical": -0.5,
}

RELATED_GENRES: dict[str, tuple[str, ...]] = {
    "rock": ("indie", "punk", "metal", "blues", "folk"),
    "pop": ("electronic", "r&b", "hip hop", "latin", "indie"),
    "hip hop": ("r&b", "pop", "soul", "electronic"),
    "indie": ("rock", "folk", "electronic", "pop"),
    "electronic": ("pop", "indie", "hip hop"),
    "country": ("folk", "rock", "blues"),
    "r&b": ("soul", "hip hop", "pop"),
    "metal": ("rock", "punk"),
    "folk": ("indie", "country", "rock"),
    "latin": ("pop", "reggae", "hip hop"),
    "jazz": ("blues", "soul", "classical", "r&b"),
    "punk": ("rock", "metal", "indie"),
    "soul": ("r&b", "jazz", "blues"),
    "blues": ("rock", "jazz", "soul"),
    "classical": ("jazz",),
    "reggae": ("latin", "hip hop", "soul"),
}

# Genres whose artists are mostly bands (the rest are mostly solo acts).
BAND_GENRES = frozenset({"rock", "indie", "metal", "punk", "folk"})


@dataclass(frozen=True, slots=True)
class City:
    name: str
    state: str | None
    country: str  # ISO 3166-1 alpha-2
    latitude: float
    longitude: float
    utc_offset: int  # standard time, hours; daylight saving is ignored
    weight: float  # size of the live-music market
    affinity: dict[str, float] = field(default_factory=dict)


CITIES: tuple[City, ...] = (
    City("New York", "NY", "US", 40.7128, -74.0060, -5, 10.0,
         {"jazz": 1.5, "hip hop": 1.5, "indie": 1.3, "classical": 1.3, "rock": 1.2, "punk": 1.2,
          "latin": 1.2}),
    City("Los Angeles", "CA", "US", 34.0522, -118.2437, -8, 9.0,
         {"pop": 1.4, "hip hop": 1.4, "latin": 1.5, "rock": 1.2, "electronic": 1.2}),
    City("Chicago", "IL", "US", 41.8781, -87.6298, -6, 7.0,
         {"blues": 1.7, "jazz": 1.3, "electronic": 1.3, "hip hop": 1.2}),
    City("Houston", "TX", "US", 29.7604, -95.3698, -6, 5.0,
         {"hip hop": 1.4, "country": 1.3, "latin": 1.4}),
    City("Phoenix", "AZ", "US", 33.4484, -112.0740, -7, 3.0,
         {"country": 1.2, "latin": 1.3, "rock": 1.1}),
    City("Philadelphia", "PA", "US", 39.9526, -75.1652, -5, 4.0,
         {"soul": 1.6, "r&b": 1.3, "hip hop": 1.2, "rock": 1.1}),
    City("San Antonio", "TX", "US", 29.4241, -98.4936, -6, 2.0, {"latin": 1.6, "country": 1.3}),
    City("San Diego", "CA", "US", 32.7157, -117.1611, -8, 3.0,
         {"reggae": 1.5, "punk": 1.2, "latin": 1.2, "rock": 1.1}),
    City("Dallas", "TX", "US", 32.7767, -96.7970, -6, 4.0, {"country": 1.4, "hip hop": 1.2}),
    City("Austin", "TX", "US", 30.2672, -97.7431, -6, 4.0,
         {"indie": 1.5, "rock": 1.4, "country": 1.3, "blues": 1.3, "folk": 1.2}),
    City("San Francisco", "CA", "US", 37.7749, -122.4194, -8, 5.0,
         {"electronic": 1.5, "indie": 1.4, "rock": 1.2, "jazz": 1.2, "folk": 1.1}),
    City("Seattle", "WA", "US", 47.6062, -122.3321, -8, 4.0,
         {"rock": 1.5, "indie": 1.5, "punk": 1.3, "folk": 1.2}),
    City("Denver", "CO", "US", 39.7392, -104.9903, -7, 3.0,
         {"folk": 1.4, "electronic": 1.3, "rock": 1.2}),
    City("Nashville", "TN", "US", 36.1627, -86.7816, -6, 4.0,
         {"country": 2.2, "folk": 1.4, "blues": 1.2, "rock": 1.1}),
    City("Atlanta", "GA", "US", 33.7490, -84.3880, -5, 5.0,
         {"hip hop": 1.8, "r&b": 1.6, "soul": 1.2}),
    City("Miami", "FL", "US", 25.7617, -80.1918, -5, 4.0,
         {"latin": 2.0, "electronic": 1.6, "hip hop": 1.2, "pop": 1.1}),
    City("Boston", "MA", "US", 42.3601, -71.0589, -5, 4.0,
         {"classical": 1.5, "indie": 1.2, "rock": 1.2, "punk": 1.2, "folk": 1.1}),
    City("Detroit", "MI", "US", 42.3314, -83.0458, -5, 3.0,
         {"soul": 1.8, "electronic": 1.5, "hip hop": 1.3, "rock": 1.1}),
    City("Minneapolis", "MN", "US", 44.9778, -93.2650, -6, 2.0,
         {"indie": 1.3, "rock": 1.2, "folk": 1.2, "r&b": 1.2}),
    City("Portland", "OR", "US", 45.5152, -122.6784, -8, 2.0,
         {"indie": 1.6, "folk": 1.5, "punk": 1.3}),
    City("Las Vegas", "NV", "US", 36.1699, -115.1398, -8, 3.0,
         {"electronic": 1.5, "pop": 1.4, "rock": 1.1}),
    City("New Orleans", "LA", "US", 29.9511, -90.0715, -6, 3.0,
         {"jazz": 2.0, "blues": 1.6, "soul": 1.4}),
    City("Memphis", "TN", "US", 35.1495, -90.0490, -6, 1.5,
         {"blues": 1.8, "soul": 1.5, "hip hop": 1.2}),
    City("Washington", "DC", "US", 38.9072, -77.0369, -5, 4.0,
         {"r&b": 1.3, "hip hop": 1.3, "punk": 1.2, "jazz": 1.2}),
    City("Orlando", "FL", "US", 28.5383, -81.3792, -5, 2.0, {"pop": 1.3, "latin": 1.3}),
    City("London", None, "GB", 51.5074, -0.1278, 0, 6.0,
         {"indie": 1.4, "electronic": 1.4, "rock": 1.3, "punk": 1.3, "pop": 1.1}),
    City("Toronto", "ON", "CA", 43.6532, -79.3832, -5, 4.0,
         {"hip hop": 1.3, "indie": 1.2, "rock": 1.1}),
    City("Mexico City", "CDMX", "MX", 19.4326, -99.1332, -6, 5.0,
         {"latin": 2.0, "rock": 1.2, "pop": 1.1}),
    City("Berlin", "Berlin", "DE", 52.5200, 13.4050, 1, 4.0,
         {"electronic": 2.0, "metal": 1.3, "punk": 1.3, "classical": 1.3}),
    City("Tokyo", "Tokyo", "JP", 35.6762, 139.6503, 9, 5.0,
         {"pop": 1.5, "metal": 1.3, "jazz": 1.3, "classical": 1.2}),
    City("Sydney", "NSW", "AU", -33.8688, 151.2093, 10, 3.0,
         {"indie": 1.3, "rock": 1.2, "electronic": 1.2}),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Tier:
    name: str
    price_multiplier: float
    capacity_share: float


@dataclass(frozen=True, slots=True)
class VenueKind:
    venue_type: VenueType
    min_capacity: int
    max_capacity: int
    share: float  # of all venues
    outdoor: bool
    price_multiplier: float
    tiers: tuple[Tier, ...]  # cheapest first
    name_patterns: tuple[str, ...]


VENUE_KINDS: tuple[VenueKind, ...] = (
    VenueKind(
        VenueType.CLUB, 200, 1_500, 0.36, False, 0.8,
        (Tier("general_admission", 1.0, 0.92), Tier("vip", 2.5, 0.08)),
        ("The {word} Room", "{word} Lounge", "The {word}", "{word} Club", "{word} Social",
         "The {word} Tavern", "{word} Ballroom"),
    ),
    VenueKind(
        VenueType.THEATER, 800, 3_000, 0.22, False, 1.1,
        (Tier("balcony", 0.8, 0.35), Tier("orchestra", 1.15, 0.55), Tier("vip", 2.6, 0.10)),
        ("The {word} Theatre", "{surname} Theater", "{city} {word} Theater",
         "The {word} Playhouse"),
    ),
    VenueKind(
        VenueType.HALL, 1_500, 5_000, 0.14, False, 1.0,
        (Tier("general_admission", 1.0, 0.60), Tier("reserved", 1.35, 0.33),
         Tier("vip", 2.8, 0.07)),
        ("{word} Music Hall", "{surname} Auditorium", "{surname} Hall", "{city} {word} Hall"),
    ),
    VenueKind(
        VenueType.AMPHITHEATER, 5_000, 25_000, 0.09, True, 0.95,
        (Tier("lawn", 0.6, 0.45), Tier("reserved", 1.0, 0.48), Tier("vip", 3.0, 0.07)),
        ("{brand} Amphitheater", "{brand} Pavilion", "{word} Bowl"),
    ),
    VenueKind(
        VenueType.ARENA, 10_000, 22_000, 0.12, False, 1.2,
        (Tier("upper_level", 0.75, 0.45), Tier("lower_level", 1.15, 0.35),
         Tier("floor", 1.5, 0.15), Tier("vip", 3.5, 0.05)),
        ("{brand} Arena", "{brand} Center", "{city} {word} Arena"),
    ),
    VenueKind(
        VenueType.STADIUM, 35_000, 90_000, 0.07, True, 1.3,
        (Tier("upper_level", 0.7, 0.50), Tier("lower_level", 1.1, 0.30),
         Tier("floor", 1.6, 0.16), Tier("vip", 4.0, 0.04)),
        ("{brand} Stadium", "{brand} Field", "{brand} Park"),
    ),
)  # fmt: skip
MAX_TIERS = max(len(kind.tiers) for kind in VENUE_KINDS)

# Concerts per weekday (Monday first) and the demand of a show on that day.
WEEKDAY_SHARE = (0.6, 0.65, 0.8, 1.0, 1.6, 1.8, 1.0)
WEEKDAY_DEMAND = (0.78, 0.80, 0.86, 0.93, 1.12, 1.18, 0.92)
# Concerts per month (January first), indoors and outdoors.
MONTH_SHARE_INDOOR = (0.8, 0.85, 1.0, 1.0, 1.0, 0.9, 0.85, 0.85, 1.0, 1.1, 1.1, 0.9)
MONTH_SHARE_OUTDOOR = (0.1, 0.1, 0.25, 0.6, 1.0, 1.5, 1.7, 1.6, 1.1, 0.55, 0.15, 0.1)

PAYMENT_SHARE: dict[PaymentMethod, float] = {
    PaymentMethod.CREDIT_CARD: 0.48,
    PaymentMethod.DEBIT_CARD: 0.20,
    PaymentMethod.PAYPAL: 0.12,
    PaymentMethod.APPLE_PAY: 0.10,
    PaymentMethod.GOOGLE_PAY: 0.06,
    PaymentMethod.GIFT_CARD: 0.04,
}

# Tickets per sale: 1-4 for nearly everyone, occasional groups up to 20.
QUANTITY_SHARE: tuple[float, ...] = (
    0.27, 0.42, 0.09, 0.13, 0.02, 0.03, 0.005, 0.015, 0.002, 0.008,
    0.001, 0.003, 0.0005, 0.0005, 0.0005, 0.0005, 0.0005, 0.0005, 0.0005, 0.0005,
)  # fmt: skip

FIRST_NAMES = (
    "Ava", "Ben", "Cleo", "Dante", "Elena", "Felix", "Grace", "Hugo", "Iris", "Jonah",
    "Kira", "Leo", "Maya", "Nico", "Olive", "Pablo", "Quinn", "Rosa", "Sam", "Tessa",
    "Uma", "Victor", "Wren", "Xavier", "Yara", "Zane", "Amara", "Caleb", "Daisy", "Eli",
    "Frida", "Gabriel", "Hazel", "Isaac", "Jade", "Kofi", "Lena", "Marcus", "Nora", "Omar",
    "Priya", "Rafael", "Sofia", "Theo", "Valentina", "Wes", "Yusuf", "Zoe", "Aiko", "Bruno",
    "Carmen", "Darius", "Esme", "Finn", "Gia", "Henrik", "Ines", "Jasper", "Keiko", "Luca",
)  # fmt: skip
SURNAMES = (
    "Abbott", "Baker", "Castillo", "Delgado", "Ellison", "Fischer", "Garcia", "Hayes",
    "Ibarra", "Jensen", "Kim", "Lambert", "Moreno", "Nakamura", "Okafor", "Park", "Quinlan",
    "Rivera", "Santos", "Turner", "Underwood", "Vance", "Whitaker", "Xu", "Young", "Zimmer",
    "Alvarez", "Brooks", "Chen", "Dawson", "Everett", "Flores", "Grant", "Holloway", "Iverson",
    "Johansson", "Keller", "Lindqvist", "Mendoza", "Novak", "Ortega", "Patel", "Reyes",
    "Sullivan", "Tanaka", "Vargas", "Walsh", "Yamamoto", "Adler", "Bishop", "Carver", "Dunn",
    "Ellington", "Fontaine", "Greer", "Harlow", "Ingram", "Jarvis", "Kowalski", "Monroe",
    "Nash", "Osei", "Prescott", "Rhodes", "Sinclair", "Thornton", "Voss", "Wilder",
)  # fmt: skip
ADJECTIVES = (
    "Velvet", "Electric", "Silent", "Golden", "Neon", "Hollow", "Crimson", "Wild", "Lonely",
    "Broken", "Midnight", "Silver", "Paper", "Burning", "Frozen", "Wandering", "Restless",
    "Lucky", "Savage", "Gentle", "Distant", "Radiant", "Faded", "Cosmic", "Rusty", "Drifting",
    "Glass", "Hidden", "Lost", "Northern", "Southern", "Violet", "Amber", "Static", "Sacred",
    "Twisted", "Sunken", "Painted", "Heavy", "Bright",
)  # fmt: skip
NOUNS = (
    "Hours", "Wolves", "Rivers", "Ghosts", "Satellites", "Lanterns", "Horses", "Mirrors",
    "Echoes", "Saints", "Sparrows", "Tides", "Machines", "Shadows", "Kings", "Daughters",
    "Engines", "Comets", "Harbors", "Pilots", "Thieves", "Strangers", "Oceans", "Foxes",
    "Giants", "Mountains", "Signals", "Roses", "Dreamers", "Wires", "Owls", "Bandits",
    "Prophets", "Vultures", "Orchids", "Ravens", "Arrows", "Embers", "Canyons", "Lights",
)  # fmt: skip
STAGE_WORDS = (
    "Nova", "Blaze", "Jett", "Kairo", "Lux", "Mace", "Onyx", "Phoenix", "Rebel", "Sable",
    "Tempo", "Vex", "Zephyr", "Cipher", "Echo", "Flux", "Halo", "Ivory", "Karma", "Lyric",
    "Mirage", "Nyx", "Orbit", "Pulse", "Quest", "Raven", "Solace", "Titan", "Vibe", "Wraith",
)  # fmt: skip
VENUE_WORDS = (
    "Velvet", "Echo", "Blue", "Copper", "Crystal", "Sapphire", "Golden", "Neon", "Midnight",
    "Silver", "Iron", "Lantern", "Anchor", "Harbor", "Bowery", "Mercury", "Orbit", "Atlas",
    "Lotus", "Cedar", "Juniper", "Magnolia", "Cobalt", "Scarlet", "Amber", "Ivory", "Granite",
    "Willow", "Paramount", "Majestic", "Regent", "Orpheum", "Palace", "Empire", "Rialto",
    "Fillmore", "Starlight", "Riverside", "Lakeside", "Union", "Liberty", "Crown", "Vine",
)  # fmt: skip
VENUE_BRANDS = (
    "Northstar", "Crescent Bank", "Pinnacle", "Horizon", "Sterling", "Beacon", "Citadel",
    "Vanguard", "Frontier", "Evergreen", "Harborview", "Redwood", "Skyline", "Heritage",
    "Lakeshore", "Summit Credit", "Meridian", "Keystone", "Bayside", "Ironwood", "Silverline",
    "Granite Mutual", "Aurora", "Pioneer", "Cascade", "Compass", "Landmark", "Trinity",
)  # fmt: skip


__all__ = [
    "ADJECTIVES",
    "BAND_GENRES",
    "CITIES",
    "FIRST_NAMES",
    "GENRES",
    "GENRE_INDEX",
    "GENRE_POPULARITY_SHIFT",
    "GENRE_SHARE",
    "MAX_TIERS",
    "MONTH_SHARE_INDOOR",
    "MONTH_SHARE_OUTDOOR",
    "NOUNS",
    "PAYMENT_SHARE",
    "QUANTITY_SHARE",
    "RELATED_GENRES",
    "STAGE_WORDS",
    "SURNAMES",
    "VENUE_BRANDS",
    "VENUE_KINDS",
    "VENUE_WORDS",
    "WEEKDAY_DEMAND",
    "WEEKDAY_SHARE",
    "City",
    "Tier",
    "VenueKind",
]
