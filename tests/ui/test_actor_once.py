"""One click loads the signed-in user once: the entry script and the page share one load per script run,
while a button's callback (between runs) loads the user afresh."""

from __future__ import annotations

import portfolio.ui.components as components
from tests.ui.conftest import open_initiative, sign_in


def test_a_page_run_loads_the_signed_in_user_once(app, world, monkeypatch):
    sign_in(app, "owner")
    loads = []
    real = components.load_actor

    def counting(**kwargs):
        loads.append(kwargs["user_id"])
        return real(**kwargs)

    monkeypatch.setattr(components, "load_actor", counting)
    open_initiative(app, world.initiative.id, tab="Details")
    assert loads == [world.owner.id]
    loads.clear()
    app.run()
    assert loads == [world.owner.id]
    # Between runs nothing is kept: the next run (or a callback) reads the user as they are now.
    assert "_actor_of_run" not in app.session_state
