-- Special procedures (特别程序: 专家评审, 听证, 检验检测). Keep in step with the
-- other dialect's 0010_special_procedures.sql.
--
-- The (from, until] intervals a case spent in one, as JSON like `paused`
-- (which also holds the 补正 waits): one longer than half the promised time
-- is flagged (seed item 22).
ALTER TABLE cases ADD COLUMN special TEXT NOT NULL DEFAULT '[]';
