"""Service functions the routes call: everything a page needs, computed away from HTTP."""
