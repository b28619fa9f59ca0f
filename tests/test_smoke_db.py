from sqlmodel import select

from db.engine import write_session, read_session
from db.models import Initiative
from tests.factories import World


def test_world_builds(engine):
    with write_session(engine) as session:
        world = World(session)
        initiative_id = world.initiative.id
    with read_session(engine) as session:
        assert session.get(Initiative, initiative_id).stage == "idea"
