// What the card says for the codes the websocket command answers with: Plex's verdict on a
// filed item and the library. (The reasons a file waits for review: reasons.js.)

export const PLEX_STATUS = {
  plex_matched: ["Matched in Plex", "ok"],
  plex_mismatch: ["Plex matched another title", "bad"],
  plex_not_found: ["Not found in Plex", "bad"],
  plex_not_checked: ["Plex not checked", "neutral"],
  plex_not_grouped: ["A separate item in Plex, not a version", "bad"],
};

export const LIBRARIES = { movies: "Movies", tv: "TV shows" };
