"""Venue layouts: the reusable structure of a venue (seed sub-phases 8.1 and 8.2).

``layout`` -> ``section`` -> ``block`` -> ``seat``, each module holding its part of the structure
and the rules about it. A whole layout is described by a :class:`~.layout.LayoutDocument`.
"""
