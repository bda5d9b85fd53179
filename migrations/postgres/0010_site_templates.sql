-- Site templates (issue 14): for each site (a source's name) and each text
-- line (the stable xxh3 key of its folded form, as a signed 64-bit integer),
-- how many stored pages of that site carried it and when it was last seen.
-- Lines seen on enough pages are chrome and leave the text before
-- fingerprinting; daemons sharing the database share what is learnt.
CREATE TABLE site_templates (
    site TEXT NOT NULL,
    line BIGINT NOT NULL,
    pages BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    PRIMARY KEY (site, line)
);
-- Pruning: lines not seen lately, and a site's oldest single-page lines.
CREATE INDEX site_templates_by_age ON site_templates (site, last_seen);
-- How many template lines left an entry's text before it was fingerprinted,
-- for `feedfold explain` (NULL: not recorded, as before this migration).
ALTER TABLE decisions ADD COLUMN template_lines BIGINT;
