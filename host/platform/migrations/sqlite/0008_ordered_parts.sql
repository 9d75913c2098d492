-- 一件事 in order. Keep in step with the other dialect's 0008_ordered_parts.sql.
--
-- waits_for: the part numbers (JSON) a part of a theme case waits for; it has
-- no outbox row until they have issued their licenses. NULL once released, or
-- when it waits for nothing.
-- deferred: the materials (JSON) the awaited parts' licenses are to cover.
ALTER TABLE case_parts ADD COLUMN waits_for TEXT;
ALTER TABLE case_parts ADD COLUMN deferred TEXT;
