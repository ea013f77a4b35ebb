"""Helpers shared by test modules: fake servers and builders."""
