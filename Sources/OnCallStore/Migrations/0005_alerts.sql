-- Alert ingestion (issue 5): what an incident is about beyond its title (written once, at creation, so the
-- hot row's updates stay HOT), per-integration options, and the log of every alert received with its raw
-- payload (size-capped), whichever incident it opened, folded into, acknowledged or resolved.

ALTER TABLE incidents
    ADD COLUMN source text,                      -- integration type or stack product (nagios, zabbix, defend, rmm, api …)
    ADD COLUMN description text,
    ADD COLUMN device text,
    ADD COLUMN links jsonb,                      -- [{url, text}]
    ADD COLUMN details jsonb;                    -- {name: text}

-- Tenant-wide choices: {rmm_min_severity: critical|high|medium|low|info}.
ALTER TABLE tenants ADD COLUMN settings jsonb NOT NULL DEFAULT '{}';

-- {grouping: per_group|per_alert, rate_per_second: n, burst: n, interval_seconds: n, grace_seconds: n}
ALTER TABLE integrations ADD COLUMN options jsonb NOT NULL DEFAULT '{}';
ALTER TABLE integrations DROP CONSTRAINT integrations_type_check;
ALTER TABLE integrations ADD CONSTRAINT integrations_type_check
    CHECK (type IN ('generic', 'nagios', 'icinga', 'zabbix', 'datadog', 'pagerduty', 'alertmanager', 'grafana', 'heartbeat', 'bridge'));

-- Heartbeat integrations: each check-in pushes due_at to now + interval + grace; the heartbeat monitor claims
-- overdue rows (SKIP LOCKED, with a lease), opens an incident keyed heartbeat:<integration>, then marks the
-- row missed; the next check-in resolves that incident. Armed by the first check-in.
CREATE TABLE heartbeats (
    tenant_id text NOT NULL,
    integration_id text NOT NULL,
    last_check_in timestamptz NOT NULL,
    due_at timestamptz NOT NULL,
    missed boolean NOT NULL DEFAULT false,
    claimed_until timestamptz,
    claimed_by text,
    PRIMARY KEY (tenant_id, integration_id),
    FOREIGN KEY (tenant_id, integration_id) REFERENCES integrations (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX heartbeats_due ON heartbeats (due_at) WHERE NOT missed;

CREATE TABLE alerts (
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id bigserial NOT NULL,
    integration_id text,                         -- null for Defend and the bus
    source text NOT NULL,
    action text NOT NULL CHECK (action IN ('trigger', 'acknowledge', 'resolve', 'ignored')),
    dedup_key text,
    incident_id uuid,                            -- null when an acknowledge or resolve matched nothing
    received_at timestamptz NOT NULL,
    content_type text,
    payload text NOT NULL,                       -- the body as received, cut at 64 KiB on a character boundary
    payload_bytes integer NOT NULL,              -- the body's full size
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX alerts_incident ON alerts (tenant_id, incident_id, id) WHERE incident_id IS NOT NULL;
CREATE INDEX alerts_received ON alerts (received_at);
