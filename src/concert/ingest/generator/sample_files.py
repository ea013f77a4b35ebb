"""Upload-ready sample files: the documented CSV, JSON and XML upload formats.

This docstring is the format the file-upload parsers read; the writer below
follows it exactly. One file holds one entity (artists, venues, concerts,
ticket_sales, user_interactions); its fields are the pydantic model's fields
(``ENTITIES[entity].fields``), named exactly like the model, in model order.
All files are UTF-8 without a byte-order mark. Every value is written as text:

- strings and enums: the value itself (enums by their value, e.g. ``vip``,
  ``credit_card``);
- integers: decimal digits; floats: Python's shortest round-trip text
  (``120.0``, ``45.5``); prices are already rounded to cents;
- datetimes: ISO 8601 in UTC with a ``Z`` suffix and no fraction when it is
  zero, e.g. ``2025-06-01T20:00:00Z`` (``2025-06-01T20:00:00.250000Z`` otherwise);
- dates: ``YYYY-MM-DD``;
- null (an optional field without a value): see each format below.

CSV (``<entity>.csv``)
    RFC 4180: comma separator, ``"`` quoting only where needed (a cell holding
    a comma, quote or newline; quotes doubled), ``\\n`` line ends. The first row
    is the header: the model's field names. Null is an empty cell. Lists and
    maps are JSON text in the cell, e.g. ``"[""rock"", ""indie""]"`` and
    ``"{""general"": 45.0, ""vip"": 120.0}"`` (an empty list is ``[]``).

JSON (``<entity>.json``)
    Newline-delimited JSON (JSON Lines): one JSON object per line, no
    enclosing array, keys = field names. Null is JSON ``null`` (a parser should
    also accept the key being absent). Lists are arrays, maps are objects,
    numbers are JSON numbers, datetimes and dates are strings as above.

XML (``<entity>.xml``)
    ::

        <?xml version="1.0" encoding="UTF-8"?>
        <records entity="artists">
          <record>
            <artist_id>a-000001</artist_id>
            <name>The Velvet Hours</name>
            <genres><genre>rock</genre><genre>indie</genre></genres>
            <popularity>87</popularity>
            <members><member>Ana Ruiz</member></members>
          </record>
        </records>

    The root is ``<records>`` (its ``entity`` attribute names the entity), one
    ``<record>`` per row, one child element per field named like the field.
    Null is an absent element. A list is a parent element holding one repeated
    child per item, named by the singular of the field (``genres`` ->
    ``genre``, ``members`` -> ``member``); an empty list is an empty parent
    (``<genres/>``). A map is a parent element holding one child per entry
    whose ``name`` attribute is the key and whose text is the value; for
    ``ticket_prices`` the child is ``<tier name="vip">120.0</tier>``. Text is
    XML-escaped (``&amp;`` ``&lt;`` ``&gt;``, attribute quotes as ``&quot;``).
    No DTD, no entities, no namespaces: parsers should refuse them.
"""

from __future__ import annotations
