"""Document understanding: what a scanned page is, and the key fields it carries.

Field values are normalized to the formats of DOMAIN.md and checked before they are trusted,
because a wrong value marked as good is the costliest error the product can make.
"""
