"""Lambda handlers: thin Powertools wrappers over the domain package `hadrill`."""
