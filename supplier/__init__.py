"""Suppliers, their catalog (products, variants, images) and the standard tag taxonomy."""
