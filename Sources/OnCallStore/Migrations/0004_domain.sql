-- The tenant's set-up (issue 4): who people are in the Hub, how they want to be paged, schedules,
-- maintenance windows, integrations with hashed keys, routes for the stack's products, and daily activity.
-- tenant_id leads every key. Schedules keep their layers and overrides as the configuration format's JSON
-- (one document, validated as a whole by the application); references the database cannot check with a
-- foreign key (schedule members, escalation targets) are checked by the application before every write.

ALTER TABLE technicians
    ADD COLUMN hub_user_id text,
    ADD COLUMN role text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
    ADD COLUMN time_zone text,
    ADD COLUMN provisioned_at timestamptz,       -- created by a first Hub login (oncall apply keeps these)
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX technicians_hub_user ON technicians (tenant_id, hub_user_id) WHERE hub_user_id IS NOT NULL;
CREATE INDEX technicians_email ON technicians (tenant_id, lower(email));

-- The order contact methods were given in.
ALTER TABLE contact_methods ADD COLUMN position integer NOT NULL DEFAULT 0;

-- Once a technician is paged: use this contact method after this delay.
CREATE TABLE notification_rules (
    tenant_id text NOT NULL,
    technician_id text NOT NULL,
    position integer NOT NULL,
    contact_method_id text NOT NULL,
    delay_seconds integer NOT NULL CHECK (delay_seconds >= 0),
    PRIMARY KEY (tenant_id, technician_id, position),
    FOREIGN KEY (tenant_id, technician_id) REFERENCES technicians (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, contact_method_id) REFERENCES contact_methods (tenant_id, id) ON DELETE CASCADE
);

CREATE TABLE schedules (
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id text NOT NULL,
    name text NOT NULL,
    time_zone text NOT NULL,
    layers jsonb NOT NULL DEFAULT '[]',          -- [{name, rotation, handoff, members, restrictions}]
    overrides jsonb NOT NULL DEFAULT '[]',       -- [{technician, start, end}] in the schedule's time zone
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id)
);

-- Targets are paged in the order the policy lists them.
ALTER TABLE escalation_targets ADD COLUMN ordinal integer NOT NULL DEFAULT 0;
ALTER TABLE services
    ADD COLUMN page_low_severity boolean NOT NULL DEFAULT false,
    ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

-- Planned quiet periods: wall-clock start and end in a zone as configured, and the instants they resolve to.
CREATE TABLE maintenance_windows (
    tenant_id text NOT NULL,
    service_id text NOT NULL,
    position integer NOT NULL,
    starts_local text NOT NULL,
    ends_local text NOT NULL,
    time_zone text NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL CHECK (ends_at > starts_at),
    PRIMARY KEY (tenant_id, service_id, position),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE CASCADE
);

-- Inbound doors. The key is shown once and stored as its SHA-256 only; webhook_id is the unguessable part of
-- the webhook URL, unique across tenants (the URL names no tenant).
CREATE TABLE integrations (
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id text NOT NULL,
    type text NOT NULL CHECK (type IN ('generic', 'nagios', 'icinga', 'zabbix', 'datadog', 'pagerduty', 'alertmanager', 'grafana', 'bridge')),
    service_id text,
    webhook_id text NOT NULL UNIQUE,
    key_sha256 bytea NOT NULL,
    key_hint text NOT NULL,                      -- the key's last four characters, to tell keys apart
    created_at timestamptz NOT NULL DEFAULT now(),
    key_rotated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id),
    CHECK ((type = 'bridge') = (service_id IS NULL))
);

-- Which service receives the alerts of each product of the stack.
CREATE TABLE routes (
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    source text NOT NULL CHECK (source IN ('defend', 'rmm', 'security', 'backups')),
    service_id text NOT NULL,
    PRIMARY KEY (tenant_id, source),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id)
);

-- A technician's authenticated activity marks them active for the tenant and the (UTC) day: billing counts these.
CREATE TABLE technician_activity (
    tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    day date NOT NULL,
    technician_id text NOT NULL,
    first_seen_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, day, technician_id)
);
