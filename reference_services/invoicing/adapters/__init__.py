"""Invoicing adapters: tables, repository, CloudEvents in and out."""
