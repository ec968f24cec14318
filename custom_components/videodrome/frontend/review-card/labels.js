// What the card says for the codes the websocket command answers with: Plex's verdict on a
// filed item, the library, and the reasons a file waits for review.

export const PLEX_STATUS = {
  plex_matched: ["Matched in Plex", "ok"],
  plex_mismatch: ["Plex matched another title", "bad"],
  plex_not_found: ["Not found in Plex", "bad"],
  plex_not_checked: ["Plex not checked", "neutral"],
};

export const LIBRARIES = { movies: "Movies", tv: "TV shows" };

export const REASONS = {
  no_candidates: "Nothing found on TMDb",
  close_runner_up: "Another title scores almost as well",
  ambiguous_without_year: "Several titles fit and the name has no year",
  id_hint: "The name carries an id",
  id_hint_year_mismatch: "The id in the name points at another year",
  id_hint_unconfirmed: "The id in the name could not be confirmed",
  title_mismatch: "The title differs",
  year_mismatch: "The year differs",
  below_auto_threshold: "Below the confidence for automatic filing",
  low_confidence: "Low confidence",
  parse_failed: "The name could not be read",
  parse_timeout: "Reading the name took too long",
  destination_exists: "The library already has a file at the Plex path",
  already_in_library: "Plex already has this title",
  episode_not_found: "TMDb does not list this episode",
  id_hint_not_found: "The id in the name is not on TMDb",
  no_season: "No season in the name",
  auto_ingest_off: "Automatic filing is off",
  tmdb_unavailable: "TMDb did not answer",
};
