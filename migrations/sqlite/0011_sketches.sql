-- Two-stage matching (issue 14): each entry keeps a bottom-k sketch of its
-- text's shingles (up to 128 little-endian 32-bit hashes, ascending; see
-- dedup::sketch) and a key of its cleaned title, on which simhash
-- candidates are verified. NULL for entries stored before this migration:
-- they are matched on the fingerprint alone, as before.
ALTER TABLE entries ADD COLUMN sketch BLOB;
ALTER TABLE entries ADD COLUMN title_key BIGINT;
-- The sketch's 16 smallest hashes (its first 64 bytes): the keys by which
-- entries sharing shingles are found as candidates (dedup::shingle_index),
-- apart so that loading the in-memory copy reads 64 bytes an entry, not 512.
ALTER TABLE entries ADD COLUMN sketch_keys BLOB;
-- The second stage's figures for each near-duplicate decision, for
-- `feedfold explain`: resemblance and containment in thousandths, the
-- containment's sample size, whether the cleaned titles were equal, and
-- whether both entries came from one source (stricter bars).
ALTER TABLE decisions ADD COLUMN resemblance BIGINT;
ALTER TABLE decisions ADD COLUMN containment BIGINT;
ALTER TABLE decisions ADD COLUMN sample BIGINT;
ALTER TABLE decisions ADD COLUMN same_title BIGINT;
ALTER TABLE decisions ADD COLUMN same_site BIGINT;
