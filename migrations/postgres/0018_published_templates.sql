-- Published text leaves site-template lines out (issue 15): each feed
-- rendering reads the lines of the sites it shows that are seen on three
-- pages or more (what publishing needs). Most of a site's rows are lines
-- of one or two pages, so only the others are indexed, with every column
-- the read needs.
CREATE INDEX site_templates_shared ON site_templates (site, line, pages, last_seen) WHERE pages >= 3;
