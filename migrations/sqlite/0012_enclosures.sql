-- Enclosures and categories (issue 16), carried through to the merged feed.
-- Each is JSON text: enclosures an array of {"url", "mime"?, "length"?}
-- (source::Enclosure), categories an array of strings, both in document
-- order. NULL when the entry has none, and for entries stored before this
-- migration until their source is fetched again.
ALTER TABLE entries ADD COLUMN enclosures TEXT;
ALTER TABLE entries ADD COLUMN categories TEXT;
