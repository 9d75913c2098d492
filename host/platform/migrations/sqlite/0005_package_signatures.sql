-- Signing policy. Keep in step with the other dialect's 0005_package_signatures.sql.
--
-- Each installed version keeps its adapter.sig, so the package is verified
-- again, against the trust store of the day, whenever it is loaded. Versions
-- installed before this column existed have none: with require-signatures on,
-- they must be installed again.
ALTER TABLE adapter_versions ADD COLUMN signature TEXT;
