-- The trace an outbox row belongs to. Keep in step with the other dialect's
-- 0012_outbox_trace.sql.
--
-- The W3C `traceparent` of the span that wrote the row (the request that
-- accepted the case, or whatever released a part waiting in order), so the
-- delivery continues that trace. NULL when nothing was traced.
ALTER TABLE outbox ADD COLUMN traceparent TEXT;
