"""Importers: CRM exports into the workspace tables, all or nothing."""
