"""The GraphQL documents the client sends to Stash, written against Stash's schema.

Every document the client sends is one of `DOCUMENTS`; tests/contract/test_stash_contract.py
validates each against Stash's real schema (`graphql/schema` of stashapp/stash). Only what
the provider shows is asked for. A file is found by its name with the `path` criterion:
`INCLUDES` with the value in double quotes is one `LIKE '%name%'` on the file's full path
(unquoted, Stash would split the value on spaces and match any of the words), which Stash
runs in SQL: no paging through every scene. The client then keeps the exact names.
"""

from __future__ import annotations

from typing import Final

SCENE_FIELDS: Final = """
fragment VideodromeSceneFields on Scene {
  id
  title
  details
  date
  rating100
  files {
    basename
    path
    duration
  }
  paths {
    screenshot
  }
  studio {
    id
    name
  }
  performers {
    id
    name
    image_path
  }
  tags {
    id
    name
  }
  groups {
    scene_index
    group {
      id
      name
      front_image_path
    }
  }
}
"""

SCENES_BY_PATH: Final = (
    """
query VideodromeScenesByPath($path: String!, $page: Int!, $perPage: Int!) {
  findScenes(
    scene_filter: { path: { value: $path, modifier: INCLUDES } }
    filter: { page: $page, per_page: $perPage, sort: "path", direction: ASC }
  ) {
    count
    scenes {
      ...VideodromeSceneFields
    }
  }
}
"""
    + SCENE_FIELDS
)

SCENE: Final = (
    """
query VideodromeScene($id: ID!) {
  findScene(id: $id) {
    ...VideodromeSceneFields
  }
}
"""
    + SCENE_FIELDS
)

# Cheap, and answered by Stash alone: whether the URL is Stash and whether it takes the key.
VERSION: Final = """
query VideodromeVersion {
  version {
    version
    hash
  }
  systemStatus {
    status
  }
}
"""

# operation name -> document
DOCUMENTS: Final[dict[str, str]] = {
    "VideodromeScenesByPath": SCENES_BY_PATH,
    "VideodromeScene": SCENE,
    "VideodromeVersion": VERSION,
}
