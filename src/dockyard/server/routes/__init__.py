"""The Engine API's routes: each module here registers its own with ``register(router)``.

The application loads every module of this package (in name order), so adding a group of
endpoints (say, pull and push on the registry client) is adding one module that defines::

    def register(router: Router) -> None:
        router.add("POST", "/images/{name:.+}/push", push)
        router.add("POST", "/images/create", pull, when=lambda r: bool(r.query("fromImage")))

A route with a ``when`` predicate is tried before the routes without one, so a pull
handler registered that way takes ``/images/create?fromImage=…`` from the import handler.
"""
