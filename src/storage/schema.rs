//! The database schema, as numbered migrations embedded in the binary.
//!
//! One text serves both databases. The few differences are written as placeholders
//! that `Dialect::render` fills in:
//! - `{id}`: an auto-incrementing 64-bit primary key;
//! - `{real}`: a double-precision float;
//! - `{blob}`: a byte string (BLOB, BYTEA);
//! - `{without_rowid}`: after a table's closing parenthesis, a SQLite table stored in
//!   the B-tree of its primary key, with no rowid B-tree beside it (nothing on
//!   PostgreSQL).
//!
//! Times are i64 epoch milliseconds, flags are i64 0/1, ids are i64 or text: only these
//! map cleanly through sqlx's `Any` driver on both databases.

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: r#"
CREATE TABLE regions (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_code TEXT,
    level TEXT NOT NULL
);
CREATE INDEX regions_parent ON regions (parent_code);

CREATE TABLE region_outlines (
    code TEXT PRIMARY KEY,
    geojson TEXT NOT NULL
);

CREATE TABLE grids (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    region_code TEXT NOT NULL,
    parent_id TEXT,
    geojson TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX grids_region ON grids (region_code);

CREATE TABLE units (
    id {id},
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    region_code TEXT NOT NULL,
    head_user_id BIGINT
);
CREATE INDEX units_kind_region ON units (kind, region_code);

CREATE TABLE users (
    id {id},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    roles TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_ms BIGINT NOT NULL
);

CREATE TABLE grid_members (
    grid_id TEXT NOT NULL REFERENCES grids (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    PRIMARY KEY (grid_id, user_id, role)
);
CREATE INDEX grid_members_user ON grid_members (user_id);

CREATE TABLE api_tokens (
    id {id},
    user_id BIGINT NOT NULL REFERENCES users (id),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT,
    revoked_ms BIGINT
);

CREATE TABLE categories (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    parent_code TEXT,
    department TEXT NOT NULL,
    default_working_days BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE meetings (
    id {id},
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    place TEXT,
    region_code TEXT NOT NULL,
    held_ms BIGINT NOT NULL,
    minutes TEXT,
    recorded_by BIGINT,
    created_ms BIGINT NOT NULL
);

CREATE TABLE number_counters (
    day TEXT PRIMARY KEY,
    last_value BIGINT NOT NULL
);

CREATE TABLE appeals (
    id {id},
    number TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    channel TEXT NOT NULL,
    lat {real},
    lng {real},
    address TEXT,
    region_code TEXT NOT NULL,
    grid_id TEXT,
    category_code TEXT,
    triage TEXT NOT NULL,
    tier TEXT NOT NULL,
    urgent BIGINT NOT NULL,
    triage_confidence {real} NOT NULL,
    triage_reasons TEXT NOT NULL,
    needs_triage BIGINT NOT NULL,
    status TEXT NOT NULL,
    owner_unit_id BIGINT,
    lead_unit_id BIGINT,
    extension_pending BIGINT NOT NULL DEFAULT 0,
    paused BIGINT NOT NULL DEFAULT 0,
    paused_ms BIGINT,
    rating_resolution TEXT,
    rating_satisfaction TEXT,
    reopen_count BIGINT NOT NULL DEFAULT 0,
    return_count BIGINT NOT NULL DEFAULT 0,
    urge_count BIGINT NOT NULL DEFAULT 0,
    merged_into_id BIGINT,
    meeting_id BIGINT,
    contact_name TEXT,
    contact_phone TEXT,
    received_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    dispatched_ms BIGINT,
    signed_ms BIGINT,
    resolved_ms BIGINT,
    closed_ms BIGINT,
    sign_due_ms BIGINT,
    resolve_due_ms BIGINT,
    next_deadline_ms BIGINT,
    event_count BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX appeals_region_status ON appeals (region_code, status);
CREATE INDEX appeals_status_deadline ON appeals (status, next_deadline_ms);
CREATE INDEX appeals_next_deadline ON appeals (next_deadline_ms);
CREATE INDEX appeals_received ON appeals (received_ms);
CREATE INDEX appeals_merged_into ON appeals (merged_into_id);

CREATE TABLE appeal_handlers (
    appeal_id BIGINT NOT NULL REFERENCES appeals (id),
    unit_id BIGINT NOT NULL REFERENCES units (id),
    role TEXT NOT NULL,
    PRIMARY KEY (appeal_id, unit_id)
);
CREATE INDEX appeal_handlers_unit ON appeal_handlers (unit_id, appeal_id);

CREATE TABLE appeal_events (
    id {id},
    appeal_id BIGINT NOT NULL REFERENCES appeals (id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_user_id BIGINT,
    actor_unit_id BIGINT,
    at_ms BIGINT NOT NULL,
    reason TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (appeal_id, seq)
);

CREATE TABLE idempotency_keys (
    key TEXT PRIMARY KEY,
    request_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
"#,
    },
    Migration {
        version: 2,
        name: "calendar_days",
        sql: r#"
CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL
);
"#,
    },
    Migration {
        version: 3,
        name: "clock_jobs_notifications_supervision",
        sql: r#"
ALTER TABLE appeals ADD COLUMN policy_version BIGINT;
ALTER TABLE appeals ADD COLUMN warn_ms BIGINT;
CREATE INDEX appeals_warn ON appeals (warn_ms);

CREATE TABLE deadline_policies (
    version BIGINT PRIMARY KEY,
    body TEXT NOT NULL,
    note TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    created_by BIGINT
);

CREATE TABLE jobs (
    id {id},
    kind TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    appeal_id BIGINT,
    due_ms BIGINT,
    payload TEXT NOT NULL,
    state TEXT NOT NULL,
    run_at_ms BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    locked_by TEXT,
    lease_until_ms BIGINT,
    last_error TEXT,
    created_ms BIGINT NOT NULL,
    finished_ms BIGINT
);
CREATE INDEX jobs_claim ON jobs (state, run_at_ms);
CREATE INDEX jobs_lease ON jobs (state, lease_until_ms);
CREATE INDEX jobs_subject ON jobs (kind, appeal_id, due_ms);

CREATE TABLE notifications (
    id {id},
    dedupe_key TEXT NOT NULL UNIQUE,
    user_id BIGINT,
    unit_id BIGINT,
    kind TEXT NOT NULL,
    appeal_id BIGINT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    read_ms BIGINT,
    read_by BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unit ON notifications (unit_id, id);

CREATE TABLE notification_templates (
    kind TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    updated_by BIGINT
);

CREATE TABLE notification_deliveries (
    id {id},
    notification_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_ms BIGINT NOT NULL,
    delivered_ms BIGINT,
    UNIQUE (notification_id, channel, address)
);

CREATE TABLE supervision_notices (
    id {id},
    dedupe_key TEXT NOT NULL UNIQUE,
    appeal_id BIGINT NOT NULL,
    unit_id BIGINT,
    head_user_id BIGINT,
    origin TEXT NOT NULL,
    reason TEXT NOT NULL,
    issued_by BIGINT,
    created_ms BIGINT NOT NULL
);
CREATE INDEX supervision_notices_appeal ON supervision_notices (appeal_id);
CREATE INDEX supervision_notices_created ON supervision_notices (created_ms);

CREATE TABLE key_supervision (
    appeal_id BIGINT PRIMARY KEY,
    reason TEXT NOT NULL,
    added_ms BIGINT NOT NULL,
    removed_ms BIGINT
);

CREATE TABLE reminder_notices (
    id {id},
    unit_id BIGINT NOT NULL,
    month TEXT NOT NULL,
    metrics TEXT NOT NULL,
    shortfalls TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (unit_id, month)
);
"#,
    },
    Migration {
        version: 5,
        name: "understanding",
        sql: r#"
CREATE TABLE classifier_rules (
    id {id},
    name TEXT NOT NULL,
    category_code TEXT,
    all_of TEXT NOT NULL,
    any_of TEXT NOT NULL,
    none_of TEXT NOT NULL,
    urgent BIGINT NOT NULL,
    weight {real} NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL
);

CREATE TABLE classifier_models (
    id {id},
    created_ms BIGINT NOT NULL,
    source TEXT NOT NULL,
    examples BIGINT NOT NULL,
    model TEXT NOT NULL
);

CREATE TABLE understanding_flags (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE hotspot_warnings (
    id {id},
    place_kind TEXT NOT NULL,
    place_code TEXT NOT NULL,
    region_code TEXT NOT NULL,
    category_code TEXT NOT NULL,
    unit_id BIGINT,
    window_start_ms BIGINT NOT NULL,
    window_end_ms BIGINT NOT NULL,
    appeal_count BIGINT NOT NULL,
    usual_count {real} NOT NULL,
    reasons TEXT NOT NULL,
    appeal_numbers TEXT NOT NULL,
    status TEXT NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE INDEX hotspot_warnings_region ON hotspot_warnings (region_code, created_ms);
CREATE INDEX hotspot_warnings_place ON hotspot_warnings (place_kind, place_code, category_code, window_end_ms);
CREATE INDEX appeals_updated ON appeals (updated_ms, id);
"#,
    },
    Migration {
        version: 7,
        name: "programmes_work_items_points_meetings",
        sql: r#"
CREATE TABLE programme_lists (
    id {id},
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    region_code TEXT NOT NULL,
    owner_unit_id BIGINT NOT NULL,
    due_ms BIGINT,
    created_by BIGINT,
    created_ms BIGINT NOT NULL
);
CREATE INDEX programme_lists_kind ON programme_lists (kind, region_code);

CREATE TABLE work_items (
    id {id},
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    list_id BIGINT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    region_code TEXT NOT NULL,
    owner_unit_id BIGINT NOT NULL,
    lead_unit_id BIGINT,
    assignee_user_id BIGINT,
    person_name TEXT,
    requested_by_user_id BIGINT,
    requester_name TEXT,
    requester_phone TEXT,
    secret_hash TEXT,
    appeal_id BIGINT,
    status TEXT NOT NULL,
    score_tenths BIGINT,
    rating BIGINT,
    attributes TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    responded_ms BIGINT,
    finished_ms BIGINT,
    respond_due_ms BIGINT,
    finish_due_ms BIGINT,
    next_deadline_ms BIGINT,
    late_ms BIGINT,
    escalated_due_ms BIGINT,
    press_count BIGINT NOT NULL DEFAULT 0,
    event_count BIGINT NOT NULL,
    head_hash TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX work_items_kind_region ON work_items (kind, region_code, status);
CREATE INDEX work_items_list ON work_items (list_id);
CREATE INDEX work_items_next_deadline ON work_items (next_deadline_ms);
CREATE INDEX work_items_appeal ON work_items (appeal_id);

CREATE TABLE work_item_units (
    item_id BIGINT NOT NULL REFERENCES work_items (id),
    unit_id BIGINT NOT NULL,
    role TEXT NOT NULL,
    PRIMARY KEY (item_id, unit_id)
);
CREATE INDEX work_item_units_unit ON work_item_units (unit_id, item_id);

CREATE TABLE work_item_events (
    id {id},
    item_id BIGINT NOT NULL REFERENCES work_items (id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_user_id BIGINT,
    actor_unit_id BIGINT,
    at_ms BIGINT NOT NULL,
    reason TEXT NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (item_id, seq)
);

CREATE TABLE service_catalogue (
    id {id},
    region_code TEXT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    finish_hours BIGINT NOT NULL,
    points BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1,
    UNIQUE (region_code, code)
);

CREATE TABLE service_targets (
    region_code TEXT PRIMARY KEY,
    response_minutes BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    updated_by BIGINT
);

CREATE TABLE point_accounts (
    id {id},
    kind TEXT NOT NULL,
    region_code TEXT NOT NULL,
    holder_name TEXT NOT NULL,
    holder_phone TEXT,
    allow_negative BIGINT NOT NULL DEFAULT 0,
    balance BIGINT NOT NULL DEFAULT 0,
    created_ms BIGINT NOT NULL,
    UNIQUE (kind, region_code, holder_phone)
);
CREATE INDEX point_accounts_region ON point_accounts (region_code, kind);

CREATE TABLE point_rules (
    id {id},
    region_code TEXT NOT NULL,
    code TEXT NOT NULL,
    label TEXT NOT NULL,
    direction TEXT NOT NULL,
    points BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    updated_ms BIGINT NOT NULL,
    updated_by BIGINT,
    UNIQUE (region_code, code)
);

CREATE TABLE point_journals (
    id {id},
    dedupe_key TEXT UNIQUE,
    region_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    rule_code TEXT,
    reason TEXT NOT NULL,
    granted_by BIGINT,
    granted_by_name TEXT,
    corrects_journal_id BIGINT,
    work_item_id BIGINT,
    meeting_id BIGINT,
    at_ms BIGINT NOT NULL
);
CREATE INDEX point_journals_at ON point_journals (region_code, at_ms);

CREATE TABLE point_entries (
    id {id},
    journal_id BIGINT NOT NULL REFERENCES point_journals (id),
    account_id BIGINT NOT NULL REFERENCES point_accounts (id),
    amount BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX point_entries_account ON point_entries (account_id, at_ms, id);
CREATE INDEX point_entries_journal ON point_entries (journal_id);

ALTER TABLE meetings ADD COLUMN organiser_unit_id BIGINT;
ALTER TABLE meetings ADD COLUMN schedule_id BIGINT;
ALTER TABLE meetings ADD COLUMN attachments TEXT;
CREATE INDEX meetings_region ON meetings (region_code, held_ms);
CREATE INDEX appeals_meeting ON appeals (meeting_id);

CREATE TABLE meeting_attendance (
    meeting_id BIGINT NOT NULL REFERENCES meetings (id),
    name TEXT NOT NULL,
    phone TEXT,
    role TEXT NOT NULL,
    points_journal_id BIGINT,
    PRIMARY KEY (meeting_id, name)
);

CREATE TABLE meeting_schedules (
    id {id},
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    region_code TEXT NOT NULL,
    organiser_unit_id BIGINT NOT NULL,
    every_months BIGINT NOT NULL,
    starts_month TEXT NOT NULL,
    remind_days BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_ms BIGINT NOT NULL
)
"#,
    },
    Migration {
        version: 8,
        name: "appeal_source_ref",
        sql: r#"
ALTER TABLE appeals ADD COLUMN source_ref TEXT;
CREATE UNIQUE INDEX appeals_source_ref ON appeals (source_ref);
"#,
    },
    Migration {
        version: 9,
        name: "attachments_and_public_board",
        sql: r#"
CREATE TABLE attachments (
    id {id},
    appeal_id BIGINT NOT NULL REFERENCES appeals (id),
    content_type TEXT NOT NULL,
    byte_size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes {blob} NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_user_id BIGINT,
    created_ms BIGINT NOT NULL,
    UNIQUE (appeal_id, sha256)
);
CREATE INDEX appeals_resolved ON appeals (resolved_ms);
"#,
    },
    Migration {
        version: 10,
        name: "work_queue",
        sql: r#"
CREATE TABLE work_queue (
    unit_id BIGINT NOT NULL,
    appeal_id BIGINT NOT NULL,
    due_ms BIGINT NOT NULL,
    PRIMARY KEY (unit_id, appeal_id)
);
CREATE INDEX work_queue_by_due ON work_queue (unit_id, due_ms, appeal_id);
CREATE INDEX work_queue_appeal ON work_queue (appeal_id);
INSERT INTO work_queue (unit_id, appeal_id, due_ms)
    SELECT owner_unit_id, id, next_deadline_ms FROM appeals
    WHERE owner_unit_id IS NOT NULL AND status IN ('received', 'accepted', 'dispatched', 'signed_for', 'in_progress', 'returned')
    ON CONFLICT DO NOTHING;
INSERT INTO work_queue (unit_id, appeal_id, due_ms)
    SELECT h.unit_id, a.id, a.next_deadline_ms FROM appeal_handlers h JOIN appeals a ON a.id = h.appeal_id
    WHERE h.role <> 'former' AND a.status IN ('received', 'accepted', 'dispatched', 'signed_for', 'in_progress', 'returned')
    ON CONFLICT DO NOTHING;
"#,
    },
    Migration {
        version: 11,
        name: "metric_rollups",
        sql: r#"
CREATE TABLE metric_months (
    month TEXT PRIMARY KEY,
    from_ms BIGINT NOT NULL,
    to_ms BIGINT NOT NULL,
    received BIGINT NOT NULL,
    computed_ms BIGINT NOT NULL
);
CREATE TABLE metric_unit_months (
    month TEXT NOT NULL,
    unit_id BIGINT NOT NULL,
    category_code TEXT NOT NULL,
    received BIGINT NOT NULL,
    with_sign_due BIGINT NOT NULL,
    signed_in_time BIGINT NOT NULL,
    resolved BIGINT NOT NULL,
    with_resolve_due BIGINT NOT NULL,
    resolved_in_time BIGINT NOT NULL,
    reopened BIGINT NOT NULL,
    rated BIGINT NOT NULL,
    rated_resolved BIGINT NOT NULL,
    satisfied BIGINT NOT NULL,
    basically BIGINT NOT NULL,
    handling_ms BIGINT NOT NULL,
    PRIMARY KEY (month, unit_id, category_code)
);
CREATE TABLE metric_unit_events (
    month TEXT NOT NULL,
    unit_id BIGINT NOT NULL,
    dispatches BIGINT NOT NULL,
    returns BIGINT NOT NULL,
    PRIMARY KEY (month, unit_id)
);
CREATE TABLE metric_days (
    month TEXT NOT NULL,
    day_index BIGINT NOT NULL,
    received BIGINT NOT NULL,
    resolved BIGINT NOT NULL,
    PRIMARY KEY (month, day_index)
);
CREATE INDEX appeal_events_kind_at ON appeal_events (kind, at_ms);
CREATE INDEX IF NOT EXISTS appeals_resolved ON appeals (resolved_ms);
"#,
    },
    Migration {
        // Four columns of an appeal are empty when it arrives (merged into, meeting,
        // import reference, resolved). Their indexes only ever serve lookups of a value
        // (`= $1`, a range), so they need no entries for NULL: every intake writes four
        // B-tree entries fewer. Both databases use a partial index for a query whose
        // condition implies `IS NOT NULL`.
        version: 12,
        name: "partial_indexes_for_empty_columns",
        sql: r#"
DROP INDEX appeals_merged_into;
CREATE INDEX appeals_merged_into ON appeals (merged_into_id) WHERE merged_into_id IS NOT NULL;
DROP INDEX appeals_meeting;
CREATE INDEX appeals_meeting ON appeals (meeting_id) WHERE meeting_id IS NOT NULL;
DROP INDEX appeals_source_ref;
CREATE UNIQUE INDEX appeals_source_ref ON appeals (source_ref) WHERE source_ref IS NOT NULL;
DROP INDEX appeals_resolved;
CREATE INDEX appeals_resolved ON appeals (resolved_ms) WHERE resolved_ms IS NOT NULL;
"#,
    },
    Migration {
        // A unit's queue is read in deadline order and nothing reads it by rowid, so the
        // deadline order becomes the table's key: on SQLite the rows live in that one
        // B-tree, beside the index by appeal, where they were in a rowid table with three
        // indexes (the key, the deadline order, the appeal). An appeal's entries are
        // replaced whenever its deadline or its handlers change (every intake, action and
        // escalation): four B-tree entries per queue row fewer to write each time. One
        // entry per (unit, appeal) is kept by the writers, which delete an appeal's
        // entries before inserting its new ones (`appeals::sync_work_queue`,
        // `batches::replace_work_queue`).
        version: 13,
        name: "work_queue_keyed_by_deadline",
        sql: r#"
CREATE TABLE work_queue_keyed (
    unit_id BIGINT NOT NULL,
    due_ms BIGINT NOT NULL,
    appeal_id BIGINT NOT NULL,
    CONSTRAINT work_queue_key PRIMARY KEY (unit_id, due_ms, appeal_id)
){without_rowid};
INSERT INTO work_queue_keyed (unit_id, due_ms, appeal_id) SELECT unit_id, due_ms, appeal_id FROM work_queue;
DROP TABLE work_queue;
ALTER TABLE work_queue_keyed RENAME TO work_queue;
CREATE INDEX work_queue_appeal ON work_queue (appeal_id);
"#,
    },
    Migration {
        // The search index caught up from the appeals whose `updated_ms` moved, through an
        // index on it. Every write of an appeal moved its entry there: an escalation of
        // overdue appeals deleted entries spread over a thousand pages and wrote them
        // again, batch after batch (a third of the WAL frames of a mass escalation). Every
        // change to an appeal appends an event in the same transaction, so the search
        // index now catches up from the event log, in the order events were recorded: an
        // index whose new entries all land at its end.
        version: 14,
        name: "search_feed_from_event_log",
        sql: r#"
DROP INDEX appeals_updated;
CREATE INDEX appeal_events_at ON appeal_events (at_ms, id);
"#,
    },
];
