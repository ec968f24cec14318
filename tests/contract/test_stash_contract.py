"""The Stash client and emulator against Stash's real GraphQL schema.

Stash's schema (stashapp/stash `graphql/schema`, AGPL-3.0) is read from the shared corpora
beside the repository (`../shared/corpora/stash-graphql-schema`), never copied into it; these
tests skip when it is not there. They check that every query the client sends validates
against it, and that the emulator's schema is a part of it type by type (every type, field
and argument the emulator has exists in Stash's with the same type, wrappers included), so
that a query Stash would reject is rejected by the emulator too.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import graphql
import pytest

from custom_components.videodrome.engine.provider.requests import MatchRequest
from custom_components.videodrome.engine.provider.stash_match import find_matches
from custom_components.videodrome.engine.stash.client import StashClient
from custom_components.videodrome.engine.stash.errors import StashNotFoundError
from custom_components.videodrome.engine.stash.images import ImageKind
from custom_components.videodrome.engine.stash.queries import DOCUMENTS
from tests.emulators.stash import SCHEMA_FILE, StashEmulator, schema

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

SCHEMA_DIR = Path(__file__).resolve().parents[2].parent / "shared/corpora/stash-graphql-schema"
pytestmark = pytest.mark.skipif(
    not (SCHEMA_DIR / "schema.graphql").is_file(),
    reason=f"Stash's schema is not at {SCHEMA_DIR} (the shared corpora)",
)


@functools.cache
def stash_schema() -> graphql.GraphQLSchema:
    """Stash's own schema: schema.graphql and every file of types/, as Stash builds it."""
    files = [SCHEMA_DIR / "schema.graphql", *sorted((SCHEMA_DIR / "types").glob("*.graphql"))]
    return graphql.build_schema("\n".join(f.read_text(encoding="utf-8") for f in files))


def validation_errors(document: str, against: graphql.GraphQLSchema) -> list[str]:
    return [e.message for e in graphql.validate(against, graphql.parse(document))]


# ---- what the client sends ----------------------------------------------------------------


@pytest.mark.parametrize("operation", sorted(DOCUMENTS))
def test_every_document_validates_against_stashs_schema(operation: str) -> None:
    document = DOCUMENTS[operation]
    assert validation_errors(document, stash_schema()) == []
    assert validation_errors(document, schema()) == []
    names = [
        d.name.value
        for d in graphql.parse(document).definitions
        if isinstance(d, graphql.OperationDefinitionNode) and d.name
    ]
    assert names == [operation]


@pytest.fixture
async def stash(socket_enabled: None) -> AsyncIterator[StashEmulator]:
    async with StashEmulator(api_key="contract-key") as emulator:
        yield emulator


async def test_every_query_the_client_sent_validates(stash: StashEmulator) -> None:
    """Whatever the client did, each document it sent is one Stash would accept."""
    async with aiohttp.ClientSession() as session:
        client = StashClient(session, stash.url, "contract-key", cache_ttl=0)
        await client.validate()
        await client.scenes_by_file_name("Coastal.Journeys.E02.Cliffs.1080p.mp4")
        await client.scene("3")
        with pytest.raises(StashNotFoundError):
            await client.scene("404")
        await client.image(ImageKind.GROUP_FRONT, "1")
        request = MatchRequest.from_json({"type": 1, "filename": "/x/old tape 1987.avi"})
        await find_matches(client, request, "http://ha.local/provider")
    assert set(stash.operations()) == set(DOCUMENTS)
    for query in stash.queries:
        assert validation_errors(query.query, stash_schema()) == [], query.operation
        assert query.operation is not None
        variables = query.variables
        document = graphql.parse(query.query)
        operation = graphql.get_operation_ast(document, query.operation)
        assert operation is not None
        coerced = graphql.execution.values.get_variable_values(
            stash_schema(), operation.variable_definitions or (), variables
        )
        assert isinstance(coerced, dict), coerced  # a list of errors otherwise


# ---- the emulator's schema is a part of Stash's -------------------------------------------


def differences(part: graphql.GraphQLSchema, whole: graphql.GraphQLSchema) -> list[str]:
    """What `part` has that `whole` has not, or has otherwise; what `whole` requires of it."""
    found: list[str] = []
    for name, ours in part.type_map.items():
        if not name.startswith("__"):
            found += _type_differences(name, ours, whole.type_map.get(name))
    for root in ("query_type", "mutation_type", "subscription_type"):
        ours_root, theirs_root = getattr(part, root), getattr(whole, root)
        if ours_root is not None and (theirs_root is None or ours_root.name != theirs_root.name):
            found.append(f"{root}: {ours_root.name} is not Stash's")
    return found


def _type_differences(
    name: str, ours: graphql.GraphQLNamedType, theirs: graphql.GraphQLNamedType | None
) -> list[str]:
    if theirs is None:
        return [f"{name}: no such type"]
    if type(ours) is not type(theirs):
        return [f"{name}: {type(ours).__name__}, not {type(theirs).__name__}"]
    if isinstance(ours, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
        assert isinstance(theirs, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType)
        return _field_differences(name, ours.fields, theirs.fields)
    if isinstance(ours, graphql.GraphQLInputObjectType):
        assert isinstance(theirs, graphql.GraphQLInputObjectType)
        return _input_differences(name, ours.fields, theirs.fields)
    if isinstance(ours, graphql.GraphQLEnumType):
        assert isinstance(theirs, graphql.GraphQLEnumType)
        return [f"{name}.{v}: no such value" for v in set(ours.values) - set(theirs.values)]
    assert isinstance(ours, graphql.GraphQLScalarType), name  # unions: none in the emulator
    return []


def _field_differences(
    owner: str,
    ours: dict[str, graphql.GraphQLField],
    theirs: dict[str, graphql.GraphQLField],
) -> list[str]:
    found: list[str] = []
    for name, field in ours.items():
        other = theirs.get(name)
        if other is None:
            found.append(f"{owner}.{name}: no such field")
            continue
        if str(field.type) != str(other.type):
            found.append(f"{owner}.{name}: {field.type}, not {other.type}")
        for arg, value in field.args.items():
            their_arg = other.args.get(arg)
            if their_arg is None:
                found.append(f"{owner}.{name}({arg}): no such argument")
            elif str(value.type) != str(their_arg.type):
                found.append(f"{owner}.{name}({arg}): {value.type}, not {their_arg.type}")
        for arg, value in other.args.items():
            if graphql.is_required_argument(value) and arg not in field.args:
                found.append(f"{owner}.{name}({arg}): required by Stash, missing")
    return found


def _input_differences(
    owner: str,
    ours: dict[str, graphql.GraphQLInputField],
    theirs: dict[str, graphql.GraphQLInputField],
) -> list[str]:
    found: list[str] = []
    for name, field in ours.items():
        other = theirs.get(name)
        if other is None:
            found.append(f"{owner}.{name}: no such input field")
        elif str(field.type) != str(other.type):
            found.append(f"{owner}.{name}: {field.type}, not {other.type}")
    found += [
        f"{owner}.{name}: required by Stash, missing"
        for name, other in theirs.items()
        if graphql.is_required_input_field(other) and name not in ours
    ]
    return found


def test_the_emulators_schema_is_a_part_of_stashs() -> None:
    assert differences(schema(), stash_schema()) == []
    assert {"Scene", "VideoFile", "SceneFilterType", "CriterionModifier"} <= set(schema().type_map)


def test_the_comparison_sees_every_kind_of_difference() -> None:
    """The check itself: a schema unlike Stash's in each way is reported in each way."""
    wrong = graphql.build_schema(
        """
        type Query {
          findScene(id: ID!): Scene
          findScenes(scene_filter: SceneFilterType, page: Int): Scene
          nothing: String
        }
        type Scene { id: ID title: [String] made_up: Int }
        input SceneFilterType { path: String invented: Int }
        input StringCriterionInput { value: String! }
        enum CriterionModifier { EQUALS ALMOST }
        input Scalarish { x: Int }
        scalar Version
        type FindFilterType { q: String }
        type Made { up: Int }
        type Sub { fields: Int }
        schema { query: Query mutation: Sub }
        """
    )
    found = "\n".join(differences(wrong, stash_schema()))
    for expected in (
        "Query.findScene(id): ID!, not ID",
        "Query.findScenes: Scene, not FindScenesResultType!",
        "Query.findScenes(page): no such argument",
        "Query.nothing: no such field",
        "Scene.id: ID, not ID!",
        "Scene.title: [String], not String",
        "Scene.made_up: no such field",
        "SceneFilterType.path: String, not StringCriterionInput",
        "SceneFilterType.invented: no such input field",
        "StringCriterionInput.modifier: required by Stash, missing",
        "CriterionModifier.ALMOST: no such value",
        "Scalarish: no such type",
        "Version: GraphQLScalarType, not GraphQLObjectType",
        "FindFilterType: GraphQLObjectType, not GraphQLInputObjectType",
        "Made: no such type",
        "mutation_type: Sub is not Stash's",
    ):
        assert expected in found
    required = graphql.build_schema("type Query { findTag: Tag } type Tag { id: ID! }")
    assert "Query.findTag(id): required by Stash, missing" in differences(required, stash_schema())


@pytest.mark.parametrize(
    "query",
    [
        "{ findScenes { scenes { id made_up_field } } }",
        "{ findScene(id: 1.5) { id } }",
        '{ findScenes(scene_filter: { path: { value: "x" } }) { count } }',
        '{ findScenes(scene_filter: { path: { value: "x", modifier: ALMOST } }) { count } }',
        "{ findScene(id: 1) }",
        "query Q($id: Int!) { findScene(id: $id) { id } }",
    ],
)
async def test_a_query_stash_rejects_the_emulator_rejects(query: str, stash: StashEmulator) -> None:
    assert validation_errors(query, stash_schema())
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{stash.url}/graphql", json={"query": query}, headers={"ApiKey": "contract-key"}
        ) as response,
    ):
        assert response.status == 422
        body = await response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_the_schema_file_is_the_projects_own() -> None:
    """A part written for the emulator, not Stash's files copied (their size tells)."""
    ours = SCHEMA_FILE.read_text(encoding="utf-8")
    assert len(ours) < 4000
    theirs = (SCHEMA_DIR / "types" / "scene.graphql").read_text(encoding="utf-8")
    assert theirs not in ours
