-- What contract 0.2.0 adds. Keep in step with the other dialect's 0007_contract_0_2.sql.
--
-- A matter's application form (一表申请): its fields as JSON, `[]` for matters
-- of adapters on contract 0.1.0.
ALTER TABLE matters ADD COLUMN form TEXT NOT NULL DEFAULT '[]';
