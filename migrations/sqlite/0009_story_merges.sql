-- A story absorbed by another when a new entry matched members of both
-- (issue 14): it keeps its row, without members, and points at the story
-- that took them, so its published key still leads somewhere.
ALTER TABLE stories ADD COLUMN merged_into BIGINT;
