-- One row per logical refund. Amounts are exact decimal text, never floats;
-- times are Unix milliseconds (UTC).
CREATE TABLE refunds (
    idempotency_key    TEXT PRIMARY KEY NOT NULL,
    namespace          TEXT,
    merchant_reference TEXT,
    provider           TEXT NOT NULL,
    payment_id         TEXT NOT NULL,
    amount             TEXT NOT NULL,
    currency           TEXT NOT NULL,
    reason             TEXT NOT NULL,
    description        TEXT,
    metadata           TEXT NOT NULL,
    payment_attempt_id TEXT,
    on_behalf_of       TEXT,
    state              TEXT NOT NULL,
    provider_refund_id TEXT,
    status             TEXT,
    refund             TEXT,
    raw                TEXT,
    attempts           INTEGER NOT NULL DEFAULT 0,
    last_error_code    TEXT,
    last_error         TEXT,
    lease_owner        TEXT,
    lease_until        INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    UNIQUE (namespace, merchant_reference)
);
CREATE INDEX refunds_by_payment ON refunds (provider, payment_id);
CREATE INDEX refunds_by_provider_refund ON refunds (provider, provider_refund_id);
CREATE INDEX refunds_unfinished ON refunds (state, updated_at);

-- Append-only: every change of a row's state or provider status.
CREATE TABLE refund_history (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL REFERENCES refunds (idempotency_key),
    at              INTEGER NOT NULL,
    from_state      TEXT,
    to_state        TEXT NOT NULL,
    status          TEXT,
    cause           TEXT NOT NULL,
    detail          TEXT
);
CREATE INDEX refund_history_by_key ON refund_history (idempotency_key, id);

CREATE TRIGGER refund_history_append_only_update BEFORE UPDATE ON refund_history
BEGIN SELECT RAISE(ABORT, 'refund_history is append-only'); END;
CREATE TRIGGER refund_history_append_only_delete BEFORE DELETE ON refund_history
BEGIN SELECT RAISE(ABORT, 'refund_history is append-only'); END;

-- Webhook deliveries already applied, by provider and event id.
CREATE TABLE webhook_events (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (provider, event_id)
);
