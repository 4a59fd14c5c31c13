-- Secrets every node shares (made once, on first use): the key that signs acknowledge links.
CREATE TABLE server_secrets (
    name text PRIMARY KEY,
    value bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Acknowledge links already followed: each works once.
CREATE TABLE ack_links_used (
    tenant_id text NOT NULL,
    token_sha256 bytea NOT NULL,
    incident_id uuid NOT NULL,
    technician_id text NOT NULL,
    used_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, token_sha256)
);
