"""Billit customers, contacts, products, product groups and hour types into OutSmart."""
