"""Dependencies shared by the routes, as ``Annotated`` aliases.

The app keeps its adapters and settings on ``app.state`` (set by
``concert.api.main.create_app``), so a route reads
``def summary(warehouse: WarehouseDep) -> ...``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from concert.settings import ConcertSettings
from foundation.adapters import Adapters
from foundation.objectstore import ObjectStore
from foundation.warehouse import Warehouse


def get_adapters(request: Request) -> Adapters:
    adapters: Adapters = request.app.state.adapters
    return adapters


def get_concert_settings(request: Request) -> ConcertSettings:
    settings: ConcertSettings = request.app.state.concert_settings
    return settings


AdaptersDep = Annotated[Adapters, Depends(get_adapters)]
ConcertSettingsDep = Annotated[ConcertSettings, Depends(get_concert_settings)]


def get_warehouse(adapters: AdaptersDep, settings: ConcertSettingsDep) -> Warehouse:
    return adapters.warehouse(settings.warehouse)


def get_raw_store(adapters: AdaptersDep, settings: ConcertSettingsDep) -> ObjectStore:
    return adapters.object_store(settings.raw_bucket)


def get_processed_store(adapters: AdaptersDep, settings: ConcertSettingsDep) -> ObjectStore:
    return adapters.object_store(settings.processed_bucket)


WarehouseDep = Annotated[Warehouse, Depends(get_warehouse)]
RawStoreDep = Annotated[ObjectStore, Depends(get_raw_store)]
ProcessedStoreDep = Annotated[ObjectStore, Depends(get_processed_store)]

__all__ = [
    "AdaptersDep",
    "ConcertSettingsDep",
    "ProcessedStoreDep",
    "RawStoreDep",
    "WarehouseDep",
    "get_adapters",
    "get_concert_settings",
]
