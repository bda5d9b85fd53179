-- Published text leaves site-template lines out (issue 15): each feed
-- rendering reads the template lines (seen on two pages or more) of the
-- sites it shows. Most of a site's rows are lines of one page, so only
-- the others are indexed.
CREATE INDEX site_templates_shared ON site_templates (site, line) WHERE pages >= 2;
