-- A feed's own title (issue 18), the display name of a source whose config
-- gives no `title`. NULL until the feed is next fetched, and for list pages.
ALTER TABLE sources ADD COLUMN feed_title TEXT;
