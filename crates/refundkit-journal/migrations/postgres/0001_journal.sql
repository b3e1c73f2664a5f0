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
    attempts           BIGINT NOT NULL DEFAULT 0,
    last_error_code    TEXT,
    last_error         TEXT,
    lease_owner        TEXT,
    lease_until        BIGINT,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL,
    UNIQUE (namespace, merchant_reference)
);
CREATE INDEX refunds_by_payment ON refunds (provider, payment_id);
CREATE INDEX refunds_by_provider_refund ON refunds (provider, provider_refund_id);
CREATE INDEX refunds_unfinished ON refunds (state, updated_at);

-- One row per payment: concurrent reservations on a payment lock it
-- (SELECT ... FOR UPDATE) and so run one after another.
CREATE TABLE payments (
    provider   TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    PRIMARY KEY (provider, payment_id)
);

-- Append-only: every change of a row's state or provider status.
CREATE TABLE refund_history (
    id              BIGSERIAL PRIMARY KEY,
    idempotency_key TEXT NOT NULL REFERENCES refunds (idempotency_key),
    at              BIGINT NOT NULL,
    from_state      TEXT,
    to_state        TEXT NOT NULL,
    status          TEXT,
    cause           TEXT NOT NULL,
    detail          TEXT
);
CREATE INDEX refund_history_by_key ON refund_history (idempotency_key, id);

CREATE FUNCTION refund_history_append_only() RETURNS trigger AS $$
BEGIN RAISE EXCEPTION 'refund_history is append-only'; END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER refund_history_append_only BEFORE UPDATE OR DELETE ON refund_history
FOR EACH ROW EXECUTE FUNCTION refund_history_append_only();

-- Webhook deliveries already applied, by provider and event id.
CREATE TABLE webhook_events (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (provider, event_id)
);
