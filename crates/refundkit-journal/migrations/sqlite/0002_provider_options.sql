-- Provider options as the request carried them: {"provider": "...",
-- "values": {...}} (core's ProviderOptions), for any provider. Rows written
-- before this column keep their two option columns, read back as options
-- of the row's provider.
ALTER TABLE refunds ADD COLUMN provider_options TEXT;
