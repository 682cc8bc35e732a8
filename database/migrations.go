package database

// migrations is append-only: never edit an entry that has shipped; add a
// new one. Entry i brings the schema to version i+1.
var migrations = []string{
	// 1: units, users, sessions, documents and their immutable versions.
	`
CREATE EXTENSION IF NOT EXISTS unaccent;

-- vn_unaccent folds Vietnamese to unaccented lower case so that
-- "cai cach" finds "cải cách". unaccent() is only STABLE; pinning the
-- dictionary makes the result depend on the input alone.
CREATE FUNCTION vn_unaccent(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;

CREATE TABLE units (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code         text NOT NULL UNIQUE CHECK (length(code) <= 35),
  name         text NOT NULL CHECK (name <> ''),
  abbreviation text NOT NULL CHECK (abbreviation <> ''),
  kind         text NOT NULL CHECK (kind IN ('department', 'office', 'district_office', 'school')),
  school_level text NOT NULL DEFAULT '' CHECK (school_level IN ('', 'mam_non', 'tieu_hoc', 'thcs', 'thpt')),
  parent_id    bigint REFERENCES units (id),
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX units_parent ON units (parent_id);

CREATE TABLE users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,62}$'),
  full_name     text NOT NULL,
  position      text NOT NULL DEFAULT '',
  email         text NOT NULL DEFAULT '',
  unit_id       bigint NOT NULL REFERENCES units (id),
  roles         text[] NOT NULL DEFAULT '{}'
                CHECK (roles <@ ARRAY['admin', 'clerk', 'signer', 'staff']::text[]),
  password_hash text NOT NULL,
  disabled      boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX users_unit ON users (unit_id);

-- A session is a web login (cookie, with a CSRF token) or an API token.
-- Only the SHA-256 of the secret is stored.
CREATE TABLE sessions (
  token_hash   bytea PRIMARY KEY,
  user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind         text NOT NULL CHECK (kind IN ('web', 'api')),
  csrf_token   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Failed logins, kept in PostgreSQL so that the limit holds across instances.
CREATE TABLE login_failures (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username    text NOT NULL,
  remote_ip   text NOT NULL,
  failed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_user ON login_failures (username, failed_at);
CREATE INDEX login_failures_ip ON login_failures (remote_ip, failed_at);

CREATE TABLE documents (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  unit_id         bigint NOT NULL REFERENCES units (id),
  doc_type        text NOT NULL,
  number          integer CHECK (number > 0),
  symbol          text,
  number_symbol   text GENERATED ALWAYS AS (
                    CASE WHEN number IS NULL THEN NULL
                         ELSE CASE WHEN number < 10 THEN '0' ELSE '' END || number::text || '/' || symbol END) STORED,
  title           text NOT NULL CHECK (title <> ''),
  doc_date        date NOT NULL,
  urgency         text NOT NULL CHECK (urgency IN ('thuong', 'khan', 'thuong_khan', 'hoa_toc')),
  confidentiality text NOT NULL CHECK (confidentiality IN ('thuong', 'mat', 'toi_mat', 'tuyet_mat')),
  status          text NOT NULL CHECK (status IN ('draft', 'registered', 'signed', 'issued', 'recalled')),
  signer_name     text NOT NULL DEFAULT '',
  created_by      bigint NOT NULL REFERENCES users (id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  search          tsvector GENERATED ALWAYS AS (
                    -- Punctuation becomes spaces so that 206/KH-SGDĐT is
                    -- indexed as the words 206, kh and sgddt.
                    to_tsvector('simple', regexp_replace(vn_unaccent(title || ' ' || coalesce(
                      CASE WHEN number IS NULL THEN NULL
                           ELSE CASE WHEN number < 10 THEN '0' ELSE '' END || number::text || '/' || symbol END, '')),
                      '[^a-z0-9]+', ' ', 'g'))) STORED,
  CHECK ((number IS NULL) = (symbol IS NULL))
);
CREATE INDEX documents_unit_created ON documents (unit_id, created_at DESC, id DESC);
CREATE INDEX documents_search ON documents USING gin (search);

CREATE TABLE document_versions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id bigint NOT NULL REFERENCES documents (id),
  version_no  integer NOT NULL CHECK (version_no > 0),
  object_key  text NOT NULL,
  sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes  bigint NOT NULL CHECK (size_bytes > 0),
  media_type  text NOT NULL,
  file_name   text NOT NULL,
  note        text NOT NULL DEFAULT '',
  created_by  bigint NOT NULL REFERENCES users (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (document_id, version_no)
);
CREATE INDEX document_versions_key ON document_versions (object_key);

-- Versions are immutable: the bytes they name never change.
CREATE FUNCTION forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is immutable', TG_TABLE_NAME;
END $$;
CREATE TRIGGER document_versions_immutable BEFORE UPDATE OR DELETE ON document_versions
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
`,
	// 2: signatures applied through the service, the images they show,
	// and the verification report of each version.
	`
CREATE TABLE signature_images (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind       text NOT NULL CHECK (kind IN ('signature', 'seal')),
  user_id    bigint REFERENCES users (id),
  unit_id    bigint REFERENCES units (id),
  object_key text NOT NULL,
  sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  created_by bigint NOT NULL REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'signature') = (user_id IS NOT NULL)),
  CHECK ((kind = 'seal') = (unit_id IS NOT NULL))
);
CREATE INDEX signature_images_user ON signature_images (user_id, created_at DESC);
CREATE INDEX signature_images_unit ON signature_images (unit_id, created_at DESC);

CREATE TABLE document_signatures (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id        bigint NOT NULL,
  version_no         integer NOT NULL,
  kind               text NOT NULL CHECK (kind IN ('person', 'organisation', 'copy')),
  signed_by          bigint NOT NULL REFERENCES users (id),
  unit_id            bigint NOT NULL REFERENCES units (id),
  page               integer NOT NULL,
  llx                double precision NOT NULL,
  lly                double precision NOT NULL,
  urx                double precision NOT NULL,
  ury                double precision NOT NULL,
  -- Where the handwritten signature lies inside a person's appearance
  -- (points from its lower-left corner): the seal goes over its left third.
  image_x            double precision,
  image_y            double precision,
  image_w            double precision,
  image_h            double precision,
  certificate_subject text NOT NULL,
  certificate_serial  text NOT NULL,
  signed_at          timestamptz NOT NULL,
  FOREIGN KEY (document_id, version_no) REFERENCES document_versions (document_id, version_no)
);
CREATE INDEX document_signatures_document ON document_signatures (document_id, version_no);

CREATE TABLE verification_reports (
  document_id bigint NOT NULL,
  version_no  integer NOT NULL,
  valid       boolean NOT NULL,
  report      jsonb NOT NULL,
  verified_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (document_id, version_no),
  FOREIGN KEY (document_id, version_no) REFERENCES document_versions (document_id, version_no)
);
`,
	// 3: routing between units: numbers, dispatches and deliveries, saved
	// groups of recipients, the hash-chained audit log, notifications, the
	// job queue and the calendar of public holidays.
	`
ALTER TABLE units DROP CONSTRAINT units_kind_check;
ALTER TABLE units ADD CONSTRAINT units_kind_check
  CHECK (kind IN ('department', 'office', 'district_office', 'school', 'external'));

-- The last number given per unit, year and series. The row is locked while
-- a number is given, and the number is only taken if the whole
-- registration commits, so the series has neither duplicates nor gaps.
CREATE TABLE number_counters (
  unit_id     bigint NOT NULL REFERENCES units (id),
  year        integer NOT NULL,
  series      text NOT NULL CHECK (series IN ('outgoing', 'secret', 'incoming')),
  last_number integer NOT NULL CHECK (last_number >= 0),
  PRIMARY KEY (unit_id, year, series)
);

-- Outgoing registrations: the number a unit gave one of its documents.
CREATE TABLE registrations (
  unit_id       bigint NOT NULL REFERENCES units (id),
  year          integer NOT NULL,
  series        text NOT NULL CHECK (series IN ('outgoing', 'secret')),
  number        integer NOT NULL CHECK (number > 0),
  document_id   bigint NOT NULL UNIQUE REFERENCES documents (id),
  copies        integer NOT NULL DEFAULT 1 CHECK (copies >= 0),
  file_unit     text NOT NULL DEFAULT '',
  notes         text NOT NULL DEFAULT '',
  registered_by bigint NOT NULL REFERENCES users (id),
  registered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (unit_id, year, series, number)
);

-- Saved lists of recipients, per owning unit.
CREATE TABLE unit_groups (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  owner_unit_id bigint NOT NULL REFERENCES units (id),
  name          text NOT NULL CHECK (name <> ''),
  created_by    bigint NOT NULL REFERENCES users (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (owner_unit_id, name)
);
CREATE TABLE unit_group_members (
  group_id bigint NOT NULL REFERENCES unit_groups (id) ON DELETE CASCADE,
  unit_id  bigint NOT NULL REFERENCES units (id),
  PRIMARY KEY (group_id, unit_id)
);

-- A dispatch sends one document to many units: an issue by its author, a
-- relay by a unit that received it, or an import of an edXML package.
CREATE TABLE dispatches (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id     bigint NOT NULL REFERENCES documents (id),
  sender_unit_id  bigint NOT NULL REFERENCES units (id),
  kind            text NOT NULL CHECK (kind IN ('issue', 'relay', 'import')),
  version_no      integer NOT NULL,
  urgency         text NOT NULL CHECK (urgency IN ('thuong', 'khan', 'thuong_khan', 'hoa_toc')),
  steering        smallint NOT NULL CHECK (steering IN (1, 2, 3)),
  due_date        date,
  response_for    bigint REFERENCES documents (id),
  replaces        bigint REFERENCES documents (id),
  note            text NOT NULL DEFAULT '',
  idempotency_key text,
  request_hash    text NOT NULL DEFAULT '',
  created_by      bigint NOT NULL REFERENCES users (id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (sender_unit_id, idempotency_key)
);
CREATE INDEX dispatches_document ON dispatches (document_id);

-- A delivery is one document in one unit's inbox, with its state:
-- 01 arrived, 02 refused, 03 accepted, 04 assigned, 05 in progress,
-- 06 done; recall 13 requested, 15 accepted, 16 refused.
CREATE TABLE deliveries (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  dispatch_id          bigint NOT NULL REFERENCES dispatches (id),
  document_id          bigint NOT NULL REFERENCES documents (id),
  sender_unit_id       bigint NOT NULL REFERENCES units (id),
  recipient_unit_id    bigint NOT NULL REFERENCES units (id),
  urgency              text NOT NULL,
  due_date             date,
  status               text NOT NULL DEFAULT '01' CHECK (status IN ('01', '02', '03', '04', '05', '06')),
  recall               text CHECK (recall IN ('13', '15', '16')),
  arrived_at           timestamptz NOT NULL DEFAULT now(),
  status_at            timestamptz NOT NULL DEFAULT now(),
  status_by            bigint REFERENCES users (id),
  reason               text NOT NULL DEFAULT '',
  incoming_year        integer,
  incoming_number      integer,
  accepted_at          timestamptz,
  assignee_id          bigint REFERENCES users (id),
  assigned_at          timestamptz,
  section              text NOT NULL DEFAULT '',
  coordinators         text NOT NULL DEFAULT '',
  opinion              text NOT NULL DEFAULT '',
  task_due             date,
  done_at              timestamptz,
  response_document_id bigint REFERENCES documents (id),
  removed              boolean NOT NULL DEFAULT false,
  UNIQUE (document_id, recipient_unit_id),
  UNIQUE (recipient_unit_id, incoming_year, incoming_number),
  CHECK ((incoming_number IS NULL) = (incoming_year IS NULL))
);
CREATE INDEX deliveries_inbox ON deliveries (recipient_unit_id, arrived_at DESC, id DESC) WHERE NOT removed;
CREATE INDEX deliveries_dispatch ON deliveries (dispatch_id, id);
CREATE INDEX deliveries_document ON deliveries (document_id);
CREATE INDEX deliveries_assignee ON deliveries (assignee_id) WHERE assignee_id IS NOT NULL;

-- The audit log: every state change, each row chained to the one before by
-- hash = SHA-256(prev_hash | the row's fields). Rows are appended under an
-- advisory lock, in id order, and never changed.
CREATE TABLE audit_log (
  id            bigint PRIMARY KEY,
  at            timestamptz NOT NULL,
  actor_id      bigint,
  actor_unit_id bigint,
  action        text NOT NULL,
  document_id   bigint,
  delivery_id   bigint,
  reason        text NOT NULL DEFAULT '',
  details       text NOT NULL DEFAULT '{}',
  prev_hash     text NOT NULL,
  hash          text NOT NULL
);
CREATE INDEX audit_log_document ON audit_log (document_id, id) WHERE document_id IS NOT NULL;
CREATE INDEX audit_log_delivery ON audit_log (delivery_id, id) WHERE delivery_id IS NOT NULL;
CREATE TRIGGER audit_log_immutable BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION forbid_change();

-- Notifications shown in the UI; e-mail goes through the job queue.
CREATE TABLE notifications (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind        text NOT NULL,
  title       text NOT NULL,
  body        text NOT NULL DEFAULT '',
  link        text NOT NULL DEFAULT '',
  document_id bigint REFERENCES documents (id),
  delivery_id bigint REFERENCES deliveries (id),
  dedupe_key  text UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  read_at     timestamptz
);
CREATE INDEX notifications_user ON notifications (user_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

-- Background jobs, claimed with FOR UPDATE SKIP LOCKED by any instance.
CREATE TABLE jobs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind         text NOT NULL,
  payload      jsonb NOT NULL DEFAULT '{}',
  state        text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed', 'uncertain')),
  attempts     integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL DEFAULT 8,
  run_at       timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  locked_by    text NOT NULL DEFAULT '',
  last_error   text NOT NULL DEFAULT '',
  dedupe_key   text UNIQUE,
  created_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz
);
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_running ON jobs (locked_until) WHERE state = 'running';

-- Public holidays (days off besides weekends), for deadlines counted in
-- working days. Seeded with the official days off for 2026; operators add
-- the following years' with "vanban holiday add".
CREATE TABLE holidays (
  day  date PRIMARY KEY,
  name text NOT NULL CHECK (name <> '')
);
INSERT INTO holidays (day, name) VALUES
  ('2026-01-01', 'Tết Dương lịch'),
  ('2026-02-16', 'Tết Nguyên đán'), ('2026-02-17', 'Tết Nguyên đán'), ('2026-02-18', 'Tết Nguyên đán'),
  ('2026-02-19', 'Tết Nguyên đán'), ('2026-02-20', 'Tết Nguyên đán'),
  ('2026-04-27', 'Giỗ Tổ Hùng Vương (nghỉ bù)'),
  ('2026-04-30', 'Ngày Giải phóng miền Nam'), ('2026-05-01', 'Ngày Quốc tế Lao động'),
  ('2026-09-01', 'Quốc khánh'), ('2026-09-02', 'Quốc khánh'),
  ('2027-01-01', 'Tết Dương lịch');
`,
	// 4: paperless meetings: the meeting, its participants and agenda, the
	// files uploaded for it (drafts never become documents), attendance,
	// requests to speak, comments, ballots and votes.
	`
CREATE TABLE meetings (
  id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organiser_unit_id      bigint NOT NULL REFERENCES units (id),
  title                  text NOT NULL CHECK (title <> ''),
  starts_at              timestamptz NOT NULL,
  ends_at                timestamptz NOT NULL,
  place                  text NOT NULL DEFAULT '',
  online_url             text NOT NULL DEFAULT '',
  chair_id               bigint NOT NULL REFERENCES users (id),
  secretary_id           bigint NOT NULL REFERENCES users (id),
  status                 text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'in_progress', 'ended', 'cancelled')),
  -- Bumped by every change of the agenda or its documents: the packet
  -- built for one revision is cached under it.
  revision               integer NOT NULL DEFAULT 1,
  invitation_document_id bigint REFERENCES documents (id),
  minutes_document_id    bigint REFERENCES documents (id),
  conclusion_document_id bigint REFERENCES documents (id),
  created_by             bigint NOT NULL REFERENCES users (id),
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CHECK (ends_at > starts_at)
);
CREATE INDEX meetings_starts ON meetings (starts_at);

-- A participant is a person, or a whole unit whose people may attend.
CREATE TABLE meeting_participants (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  meeting_id bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  user_id    bigint REFERENCES users (id),
  unit_id    bigint REFERENCES units (id),
  role       text NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'guest')),
  added_by   bigint NOT NULL REFERENCES users (id),
  added_at   timestamptz NOT NULL DEFAULT now(),
  CHECK ((user_id IS NULL) <> (unit_id IS NULL)),
  UNIQUE (meeting_id, user_id),
  UNIQUE (meeting_id, unit_id)
);
CREATE INDEX meeting_participants_user ON meeting_participants (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX meeting_participants_unit ON meeting_participants (unit_id) WHERE unit_id IS NOT NULL;

CREATE TABLE agenda_items (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  meeting_id bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  position   integer NOT NULL CHECK (position > 0),
  title      text NOT NULL CHECK (title <> ''),
  presenter  text NOT NULL DEFAULT '',
  starts_at  timestamptz,
  ends_at    timestamptz,
  UNIQUE (meeting_id, position) DEFERRABLE INITIALLY DEFERRED
);

-- Files uploaded for a meeting (drafts included). They are not documents:
-- no list or search outside the meeting ever shows them.
CREATE TABLE meeting_files (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  meeting_id  bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  object_key  text NOT NULL,
  sha256      text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes  bigint NOT NULL CHECK (size_bytes > 0),
  file_name   text NOT NULL,
  uploaded_by bigint NOT NULL REFERENCES users (id),
  uploaded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meeting_files_key ON meeting_files (object_key);

-- An agenda item's documents: an existing document's version, or a file
-- uploaded for the meeting.
CREATE TABLE agenda_documents (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  item_id     bigint NOT NULL REFERENCES agenda_items (id) ON DELETE CASCADE,
  position    integer NOT NULL CHECK (position > 0),
  title       text NOT NULL CHECK (title <> ''),
  draft       boolean NOT NULL DEFAULT false,
  document_id bigint,
  version_no  integer,
  file_id     bigint REFERENCES meeting_files (id),
  FOREIGN KEY (document_id, version_no) REFERENCES document_versions (document_id, version_no),
  CHECK ((document_id IS NULL) <> (file_id IS NULL)),
  CHECK ((document_id IS NULL) = (version_no IS NULL))
);
CREATE INDEX agenda_documents_item ON agenda_documents (item_id, position);

CREATE TABLE meeting_attendance (
  meeting_id    bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  user_id       bigint NOT NULL REFERENCES users (id),
  checked_in_at timestamptz NOT NULL DEFAULT now(),
  late          boolean NOT NULL DEFAULT false,
  PRIMARY KEY (meeting_id, user_id)
);

CREATE TABLE speak_requests (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  meeting_id   bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  item_id      bigint REFERENCES agenda_items (id) ON DELETE SET NULL,
  user_id      bigint NOT NULL REFERENCES users (id),
  state        text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'speaking', 'done', 'withdrawn')),
  requested_at timestamptz NOT NULL DEFAULT now(),
  changed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX speak_requests_meeting ON speak_requests (meeting_id, requested_at);
CREATE UNIQUE INDEX speak_requests_one_waiting ON speak_requests (meeting_id, user_id) WHERE state IN ('waiting', 'speaking');

CREATE TABLE meeting_comments (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  meeting_id  bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  item_id     bigint REFERENCES agenda_items (id) ON DELETE SET NULL,
  agenda_document_id bigint REFERENCES agenda_documents (id) ON DELETE SET NULL,
  user_id     bigint NOT NULL REFERENCES users (id),
  body        text NOT NULL CHECK (body <> ''),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meeting_comments_meeting ON meeting_comments (meeting_id, id);

-- A ballot: for/against/abstain, or a choice between options; open (who
-- voted what is kept) or secret (only who voted, and the totals).
CREATE TABLE ballots (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  meeting_id  bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  item_id     bigint REFERENCES agenda_items (id) ON DELETE SET NULL,
  question    text NOT NULL CHECK (question <> ''),
  options     text[] NOT NULL CHECK (cardinality(options) BETWEEN 2 AND 20),
  secret      boolean NOT NULL DEFAULT false,
  state       text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'open', 'closed')),
  opened_at   timestamptz,
  closed_at   timestamptz,
  -- Set at close: the totals, and the hash at the head of the ballot's chain.
  totals      jsonb,
  head_hash   text,
  created_by  bigint NOT NULL REFERENCES users (id),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ballots_meeting ON ballots (meeting_id, id);

-- One row per person per ballot, chained: hash = SHA-256(prev_hash | ballot |
-- seq | voter | choice or '' when secret | time). The primary key makes a
-- second vote impossible.
CREATE TABLE ballot_votes (
  ballot_id  bigint NOT NULL REFERENCES ballots (id) ON DELETE CASCADE,
  seq        integer NOT NULL CHECK (seq > 0),
  user_id    bigint NOT NULL REFERENCES users (id),
  choice     text,
  cast_at    timestamptz NOT NULL,
  prev_hash  text NOT NULL,
  hash       text NOT NULL,
  PRIMARY KEY (ballot_id, user_id),
  UNIQUE (ballot_id, seq)
);
CREATE TRIGGER ballot_votes_immutable BEFORE UPDATE OR DELETE ON ballot_votes
  FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION forbid_change();

-- The base packet built for a revision of a meeting: the stored object and
-- what a personal watermark (an incremental update) needs to know of it.
CREATE TABLE meeting_packets (
  meeting_id bigint NOT NULL REFERENCES meetings (id) ON DELETE CASCADE,
  revision   integer NOT NULL,
  object_key text NOT NULL,
  base       jsonb NOT NULL,
  built_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (meeting_id, revision)
);
CREATE INDEX meeting_packets_key ON meeting_packets (object_key);

-- The totals of a secret ballot, kept apart from who voted.
CREATE TABLE ballot_tallies (
  ballot_id bigint NOT NULL REFERENCES ballots (id) ON DELETE CASCADE,
  choice    text NOT NULL,
  votes     integer NOT NULL DEFAULT 0 CHECK (votes >= 0),
  PRIMARY KEY (ballot_id, choice)
);
`,
	// 5: an inbox's open, dated deliveries, for the overdue filter: without
	// it a unit with many undated deliveries scans its whole inbox.
	`
CREATE INDEX deliveries_open_due ON deliveries (recipient_unit_id, arrived_at DESC, id DESC)
  WHERE NOT removed AND status NOT IN ('02', '06') AND coalesce(task_due, due_date) IS NOT NULL;
`,
	// 6: meetings share only what may be shared: who attached an agenda
	// document, for which unit, and when; a packet is built for a revision
	// and the documents withheld from it (no longer shared), so that a
	// recall rebuilds it without them.
	`
ALTER TABLE agenda_documents
  ADD COLUMN attached_by bigint REFERENCES users (id),
  ADD COLUMN attached_unit_id bigint REFERENCES units (id),
  ADD COLUMN attached_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE meeting_packets ADD COLUMN withheld text NOT NULL DEFAULT '';
ALTER TABLE meeting_packets DROP CONSTRAINT meeting_packets_pkey, ADD PRIMARY KEY (meeting_id, revision, withheld);
`,
	// 7: login limits (see auth.Window): fixed-window counters per account
	// and per address, back-off per (account, client) pair, and the clients
	// that logged in to an account before. Rows are locked by each attempt,
	// so a count and its check are one step.
	`
CREATE TABLE login_windows (
  scope        text NOT NULL CHECK (scope IN ('account', 'address')),
  key          text NOT NULL,
  window_start timestamptz NOT NULL DEFAULT now(),
  failures     integer NOT NULL DEFAULT 0,
  refused      integer NOT NULL DEFAULT 0,
  alerted      boolean NOT NULL DEFAULT false,
  PRIMARY KEY (scope, key)
);
CREATE INDEX login_windows_start ON login_windows (window_start);

CREATE TABLE login_pairs (
  username      text NOT NULL,
  client        text NOT NULL,
  failures      integer NOT NULL DEFAULT 0,
  last_failure  timestamptz NOT NULL DEFAULT now(),
  blocked_until timestamptz NOT NULL DEFAULT 'epoch',
  PRIMARY KEY (username, client)
);
CREATE INDEX login_pairs_last_failure ON login_pairs (last_failure);

CREATE TABLE login_clients (
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  client     text NOT NULL,
  last_login timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, client)
);
CREATE INDEX login_clients_client ON login_clients (client);
`,
	// 8: the record (Decree 30/2020). A document's origin says where its
	// number comes from: the unit's register (outgoing, art. 15 and 16), the
	// sender (received), or a paper original digitised as a copy (paper_copy,
	// art. 25.1.c). An outgoing document carries a number only with its
	// registration, whose key is unique per unit, year and series; only a
	// document signed by the competent person and then by the organisation
	// (art. 32.2.d) is issued; a recalled document is frozen (Appendix VI
	// III.8.a); relaying reaches beyond a unit's subtree only by grant.
	`
ALTER TABLE documents ADD COLUMN origin text NOT NULL DEFAULT 'outgoing'
  CHECK (origin IN ('outgoing', 'received', 'paper_copy'));
UPDATE documents SET origin = 'received'
  WHERE unit_id IN (SELECT id FROM units WHERE kind = 'external')
     OR id IN (SELECT document_id FROM dispatches WHERE kind = 'import');
-- Numbers typed at upload before this migration never entered the
-- register: they were copied from elsewhere (a paper register), which is
-- what paper_copy names. Their rows stay as they are.
UPDATE documents d SET origin = 'paper_copy'
  WHERE origin = 'outgoing' AND number IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM registrations r WHERE r.document_id = d.id);

CREATE FUNCTION documents_number_registered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.origin = 'outgoing' AND NEW.number IS NOT NULL AND NOT EXISTS (
      SELECT 1 FROM registrations r WHERE r.document_id = NEW.id AND r.number = NEW.number) THEN
    RAISE EXCEPTION 'document % carries number % without its registration', NEW.id, NEW.number
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER documents_number_registered AFTER INSERT OR UPDATE OF number, origin ON documents
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION documents_number_registered();

CREATE FUNCTION documents_recalled_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.status <> 'recalled' OR NEW.number IS DISTINCT FROM OLD.number OR NEW.symbol IS DISTINCT FROM OLD.symbol
     OR NEW.title <> OLD.title OR NEW.doc_date <> OLD.doc_date OR NEW.urgency <> OLD.urgency
     OR NEW.signer_name <> OLD.signer_name OR NEW.origin <> OLD.origin THEN
    RAISE EXCEPTION 'document % is recalled: it is frozen', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER documents_recalled_frozen BEFORE UPDATE ON documents
  FOR EACH ROW WHEN (OLD.status = 'recalled') EXECUTE FUNCTION documents_recalled_frozen();

CREATE FUNCTION versions_of_recalled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM documents WHERE id = NEW.document_id AND status = 'recalled') THEN
    RAISE EXCEPTION 'document % is recalled: it is frozen', NEW.document_id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER document_versions_of_recalled BEFORE INSERT ON document_versions
  FOR EACH ROW EXECUTE FUNCTION versions_of_recalled();

-- What may go out: an issue needs the register's number and the
-- signatures, a relay an issued document, neither a secret or recalled one.
CREATE FUNCTION dispatch_of_the_record() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  d documents%ROWTYPE;
BEGIN
  SELECT * INTO d FROM documents WHERE id = NEW.document_id;
  IF d.confidentiality <> 'thuong' THEN
    RAISE EXCEPTION 'document % is secret', d.id USING ERRCODE = 'check_violation';
  END IF;
  IF d.status = 'recalled' THEN
    RAISE EXCEPTION 'document % is recalled', d.id USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.kind = 'issue' THEN
    IF d.number IS NULL OR d.origin = 'received' OR (d.origin = 'outgoing' AND NOT EXISTS (
         SELECT 1 FROM document_signatures o JOIN document_signatures pe
           ON pe.document_id = o.document_id AND pe.kind = 'person' AND pe.version_no < o.version_no
         WHERE o.document_id = d.id AND o.kind = 'organisation'))
       OR (d.origin = 'paper_copy' AND NOT EXISTS (
         SELECT 1 FROM document_signatures c WHERE c.document_id = d.id AND c.kind = 'copy')) THEN
      RAISE EXCEPTION 'document % lacks the number or the signatures to be issued', d.id USING ERRCODE = 'check_violation';
    END IF;
  ELSIF NEW.kind = 'relay' AND d.status <> 'issued' THEN
    RAISE EXCEPTION 'document % was not issued', d.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER dispatches_of_the_record BEFORE INSERT ON dispatches
  FOR EACH ROW EXECUTE FUNCTION dispatch_of_the_record();

-- Relaying reaches the units under the relaying unit (the department:
-- every unit). A grant lets unit_id relay also to reaches_unit_id and the
-- units under it; administrators add grants in SQL (see README).
CREATE TABLE relay_grants (
  unit_id         bigint NOT NULL REFERENCES units (id),
  reaches_unit_id bigint NOT NULL REFERENCES units (id),
  note            text NOT NULL DEFAULT '',
  granted_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (unit_id, reaches_unit_id)
);
`,
	// 9: who read which document, when and how (Appendix VI: access
	// history). Append-only and outside the hash-chained audit log, whose
	// one lock would serialise every page view; one row a view, download or
	// download link, never one a listed row.
	`
CREATE TABLE document_access (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at          timestamptz NOT NULL DEFAULT now(),
  user_id     bigint NOT NULL REFERENCES users (id),
  unit_id     bigint NOT NULL REFERENCES units (id),
  document_id bigint NOT NULL REFERENCES documents (id),
  version_no  integer CHECK (version_no > 0),
  kind        text NOT NULL CHECK (kind IN ('view', 'download', 'link')),
  request_id  text NOT NULL DEFAULT ''
);
CREATE INDEX document_access_document ON document_access (document_id, id);
CREATE TRIGGER document_access_immutable BEFORE UPDATE OR DELETE ON document_access
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
`,
	// 10: signing authority (Decree 30/2020 art. 13, Appendix I ô 7): who
	// signs for the unit in which capacity ('' the head in their own title,
	// Q. acting head, TM. for the collective, KT. the deputy for the head,
	// TL. by order, TUQ. by written delegation), for which document types and
	// from when to when; a delegation is revoked, never deleted. Each
	// person's signature records the capacity it was given in.
	`
CREATE TABLE signing_authorities (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  unit_id      bigint NOT NULL REFERENCES units (id),
  user_id      bigint NOT NULL REFERENCES users (id),
  capacity     text NOT NULL CHECK (capacity IN ('', 'Q', 'TM', 'KT', 'TL', 'TUQ')),
  on_behalf_of text NOT NULL CHECK (on_behalf_of <> ''),
  doc_types    text[] NOT NULL DEFAULT '{}',
  valid_from   date NOT NULL,
  valid_to     date CHECK (valid_to >= valid_from),
  granted_by   bigint NOT NULL REFERENCES users (id),
  basis        text NOT NULL DEFAULT '',
  created_at   timestamptz NOT NULL DEFAULT now(),
  revoked_at   timestamptz,
  revoked_by   bigint REFERENCES users (id),
  CHECK ((revoked_at IS NULL) = (revoked_by IS NULL)),
  -- Art. 13.3: delegation "thừa ủy quyền" is in writing and limited in time.
  CHECK (capacity <> 'TUQ' OR (basis <> '' AND valid_to IS NOT NULL)),
  CHECK (capacity NOT IN ('KT', 'TL') OR basis <> '')
);
CREATE INDEX signing_authorities_holder ON signing_authorities (user_id, valid_from) WHERE revoked_at IS NULL;
CREATE INDEX signing_authorities_unit ON signing_authorities (unit_id, id);

-- Who signed before keeps signing as before, in their own title, until the
-- unit's administrator records the capacities as they are.
INSERT INTO signing_authorities (unit_id, user_id, capacity, on_behalf_of, valid_from, granted_by, basis)
SELECT unit_id, id, '', coalesce(nullif(btrim(position), ''), 'THỦ TRƯỞNG'), current_date, id,
       'Ghi nhận khi nâng cấp: người có vai trò người ký trước khi có thẩm quyền ký'
FROM users WHERE 'signer' = ANY (roles) AND NOT disabled;

ALTER TABLE document_signatures
  ADD COLUMN capacity      text NOT NULL DEFAULT '',
  ADD COLUMN capacity_line text NOT NULL DEFAULT '',
  ADD COLUMN position      text NOT NULL DEFAULT '',
  ADD COLUMN authority_id  bigint REFERENCES signing_authorities (id);
`,
	// 11: attachments in separate files beside a document's main file
	// (Decree 30/2020 Appendix I, II.1.d), in order. The bytes are stored
	// objects, immutable; the organisation's text signature, applied at
	// registration, is a new object (sealed_*) with its verification. A
	// Word original converted to PDF is kept beside it (source_*). Reads of
	// an attachment go to the document's access history.
	`
CREATE TABLE document_attachments (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id        bigint NOT NULL REFERENCES documents (id),
  position           integer NOT NULL CHECK (position > 0),
  title              text NOT NULL CHECK (title <> '' AND length(title) <= 500),
  object_key         text NOT NULL,
  sha256             text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  size_bytes         bigint NOT NULL CHECK (size_bytes > 0),
  media_type         text NOT NULL CHECK (media_type <> ''),
  file_name          text NOT NULL CHECK (file_name <> ''),
  source_object_key  text,
  source_sha256      text CHECK (source_sha256 ~ '^[0-9a-f]{64}$'),
  source_size_bytes  bigint,
  source_file_name   text,
  sealed_object_key  text,
  sealed_sha256      text CHECK (sealed_sha256 ~ '^[0-9a-f]{64}$'),
  sealed_size_bytes  bigint,
  sealed_by          bigint REFERENCES users (id),
  sealed_at          timestamptz,
  certificate_serial text,
  verify_valid       boolean,
  verify_report      jsonb,
  added_by           bigint NOT NULL REFERENCES users (id),
  added_at           timestamptz NOT NULL DEFAULT now(),
  CHECK ((source_object_key IS NULL) = (source_file_name IS NULL)),
  CHECK ((sealed_object_key IS NULL) = (sealed_at IS NULL)),
  -- Moving swaps positions inside one transaction.
  UNIQUE (document_id, position) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX document_attachments_key ON document_attachments (object_key);
CREATE INDEX document_attachments_sealed_key ON document_attachments (sealed_object_key);
CREATE INDEX document_attachments_source_key ON document_attachments (source_object_key);

-- The file an attachment names never changes; once sealed, nothing of it
-- does, and it stays; a recalled document's attachments are frozen.
CREATE FUNCTION document_attachments_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM documents WHERE id = OLD.document_id AND status = 'recalled') THEN
    RAISE EXCEPTION 'document % is recalled: it is frozen', OLD.document_id USING ERRCODE = 'check_violation';
  END IF;
  IF OLD.sealed_object_key IS NOT NULL THEN
    RAISE EXCEPTION 'attachment % carries the organisation''s signature: it is immutable', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  IF NEW.document_id <> OLD.document_id OR NEW.object_key <> OLD.object_key OR NEW.sha256 <> OLD.sha256
     OR NEW.size_bytes <> OLD.size_bytes OR NEW.media_type <> OLD.media_type OR NEW.file_name <> OLD.file_name
     OR NEW.source_object_key IS DISTINCT FROM OLD.source_object_key THEN
    RAISE EXCEPTION 'the file of attachment % is immutable', OLD.id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER document_attachments_guarded BEFORE UPDATE OR DELETE ON document_attachments
  FOR EACH ROW EXECUTE FUNCTION document_attachments_guard();
CREATE TRIGGER document_attachments_of_recalled BEFORE INSERT ON document_attachments
  FOR EACH ROW EXECUTE FUNCTION versions_of_recalled();

ALTER TABLE document_access ADD COLUMN attachment_id bigint; -- no foreign key: the history outlives a removed attachment
`,
	// 12: drafts (issue 12). A draft is a documents row (outgoing, status
	// draft) whose versions are its revisions' PDFs; these tables add its
	// workflow: the state of its submission for signature, review requests
	// and decisions, comments per revision (append-only), the original Word
	// or ODT file of a revision with its text (for "what changed"), and the
	// uploads kept while the converter was unavailable.
	`
CREATE TABLE drafts (
  document_id   bigint PRIMARY KEY REFERENCES documents (id),
  state         text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'submitted', 'returned', 'withdrawn')),
  signer_id     bigint REFERENCES users (id),
  due_date      date,
  submitted_at  timestamptz,
  submitted_by  bigint REFERENCES users (id),
  return_reason text NOT NULL DEFAULT '',
  returned_at   timestamptz,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK (state <> 'submitted' OR (signer_id IS NOT NULL AND submitted_at IS NOT NULL))
);
CREATE INDEX drafts_signer ON drafts (signer_id, due_date) WHERE state = 'submitted';

CREATE TABLE draft_reviews (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id  bigint NOT NULL REFERENCES drafts (document_id),
  reviewer_id  bigint NOT NULL REFERENCES users (id),
  requested_by bigint NOT NULL REFERENCES users (id),
  requested_at timestamptz NOT NULL DEFAULT now(),
  version_no   integer NOT NULL CHECK (version_no > 0),
  decision     text CHECK (decision IN ('approved', 'changes_requested')),
  decided_at   timestamptz,
  note         text NOT NULL DEFAULT '' CHECK (length(note) <= 4000),
  CHECK ((decision IS NULL) = (decided_at IS NULL))
);
CREATE UNIQUE INDEX draft_reviews_open ON draft_reviews (document_id, reviewer_id) WHERE decision IS NULL;
CREATE INDEX draft_reviews_reviewer ON draft_reviews (reviewer_id) WHERE decision IS NULL;

CREATE TABLE draft_comments (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id bigint NOT NULL REFERENCES drafts (document_id),
  version_no  integer NOT NULL CHECK (version_no > 0),
  author_id   bigint NOT NULL REFERENCES users (id),
  body        text NOT NULL CHECK (body <> '' AND length(body) <= 4000),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX draft_comments_document ON draft_comments (document_id, id);
CREATE TRIGGER draft_comments_immutable BEFORE UPDATE OR DELETE ON draft_comments
  FOR EACH ROW EXECUTE FUNCTION forbid_change();

CREATE TABLE version_sources (
  document_id bigint NOT NULL,
  version_no  integer NOT NULL,
  object_key  text NOT NULL,
  sha256      text NOT NULL,
  size_bytes  bigint NOT NULL CHECK (size_bytes > 0),
  media_type  text NOT NULL,
  file_name   text NOT NULL,
  text        text NOT NULL DEFAULT '',
  PRIMARY KEY (document_id, version_no),
  FOREIGN KEY (document_id, version_no) REFERENCES document_versions (document_id, version_no)
);

CREATE TABLE pending_conversions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users (id),
  unit_id     bigint NOT NULL REFERENCES units (id),
  document_id bigint REFERENCES drafts (document_id),
  meta        jsonb NOT NULL DEFAULT '{}',
  object_key  text NOT NULL,
  sha256      text NOT NULL,
  size_bytes  bigint NOT NULL,
  file_name   text NOT NULL,
  state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  error       text NOT NULL DEFAULT '',
  result_id   bigint REFERENCES documents (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pending_conversions_user ON pending_conversions (user_id) WHERE state = 'pending';
`,
	// 13: two factors (auth/totp.go): a user's TOTP secret, pending until the
	// first code confirms it, the last time step accepted (a code is used
	// once), and the hashes of the recovery codes. Wrong codes are counted
	// in login_windows under the scope totp.
	`
CREATE TABLE user_totp (
  user_id    bigint PRIMARY KEY REFERENCES users (id),
  secret     bytea NOT NULL,
  enabled_at timestamptz,
  last_step  bigint NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE totp_recovery_codes (
  user_id   bigint NOT NULL REFERENCES users (id),
  code_hash bytea NOT NULL,
  PRIMARY KEY (user_id, code_hash)
);
ALTER TABLE login_windows DROP CONSTRAINT login_windows_scope_check;
ALTER TABLE login_windows ADD CONSTRAINT login_windows_scope_check CHECK (scope IN ('account', 'address', 'totp'));
`,
	// 14: the signer holds the key (issue 13). Each person's certificates
	// (from the signing helper, a .cer upload, or a remote-signing
	// credential), a certificate belonging to one person at a time;
	// signatures prepared on the server and completed by the signer's
	// device, which expire; how each signature was made; and a per-user
	// signing mode overriding SIGNING_MODE ('' follows it).
	`
CREATE TABLE user_certificates (
  id            bigserial PRIMARY KEY,
  user_id       bigint NOT NULL REFERENCES users (id),
  fingerprint   text NOT NULL,
  subject       text NOT NULL,
  common_name   text NOT NULL,
  issuer        text NOT NULL,
  serial        text NOT NULL,
  not_before    timestamptz NOT NULL,
  not_after     timestamptz NOT NULL,
  der           bytea NOT NULL,
  chain         bytea NOT NULL DEFAULT '',
  source        text NOT NULL CHECK (source IN ('helper', 'upload', 'remote')),
  account       text NOT NULL DEFAULT '',
  credential_id text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now(),
  removed_at    timestamptz,
  warned_at     timestamptz
);
CREATE UNIQUE INDEX user_certificates_held ON user_certificates (fingerprint) WHERE removed_at IS NULL;
CREATE INDEX user_certificates_user ON user_certificates (user_id) WHERE removed_at IS NULL;
CREATE TABLE prepared_signatures (
  id             text PRIMARY KEY,
  document_id    bigint NOT NULL REFERENCES documents (id),
  version_no     int NOT NULL,
  user_id        bigint NOT NULL REFERENCES users (id),
  certificate_id bigint NOT NULL REFERENCES user_certificates (id),
  method         text NOT NULL CHECK (method IN ('helper', 'remote')),
  object_key     text NOT NULL,
  digest         bytea NOT NULL,
  record         jsonb NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  expires_at     timestamptz NOT NULL,
  completed_at   timestamptz
);
CREATE INDEX prepared_signatures_open ON prepared_signatures (expires_at) WHERE completed_at IS NULL;
ALTER TABLE document_signatures ADD COLUMN method text NOT NULL DEFAULT 'server' CHECK (method IN ('server', 'helper', 'remote'));
ALTER TABLE document_signatures ADD COLUMN certificate_id bigint REFERENCES user_certificates (id);
ALTER TABLE users ADD COLUMN signing_mode text NOT NULL DEFAULT '' CHECK (signing_mode IN ('', 'server', 'helper', 'remote'));
`,
	// 15: the real organisation (issue 14). Units get an e-mail and may
	// be closed (their documents stay); sections (phòng ban, tổ chuyên
	// môn) with a head; a person belongs to a unit and maybe a section,
	// and may have left; single-use links for invitations and password
	// resets (only the SHA-256 of the secret is stored); identities at
	// OpenID providers linked to accounts; documents restricted inside
	// their unit to named people and sections.
	`
ALTER TABLE units ADD COLUMN email text NOT NULL DEFAULT '';
ALTER TABLE units ADD COLUMN closed_at timestamptz;
CREATE TABLE sections (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  unit_id      bigint NOT NULL REFERENCES units (id),
  name         text NOT NULL CHECK (name <> ''),
  kind         text NOT NULL DEFAULT 'phong' CHECK (kind IN ('phong', 'to')),
  head_user_id bigint REFERENCES users (id),
  closed_at    timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (unit_id, name)
);
ALTER TABLE users ADD COLUMN section_id bigint REFERENCES sections (id);
ALTER TABLE users ADD COLUMN left_at timestamptz;
CREATE TABLE account_links (
  token_hash bytea PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users (id),
  purpose    text NOT NULL CHECK (purpose IN ('invite', 'reset')),
  created_by bigint REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at    timestamptz
);
CREATE INDEX account_links_user ON account_links (user_id);
CREATE TABLE user_identities (
  issuer     text NOT NULL,
  subject    text NOT NULL,
  user_id    bigint NOT NULL REFERENCES users (id),
  email      text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  last_login timestamptz,
  PRIMARY KEY (issuer, subject)
);
ALTER TABLE documents ADD COLUMN restricted boolean NOT NULL DEFAULT false;
CREATE TABLE document_grants (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id bigint NOT NULL REFERENCES documents (id),
  user_id     bigint REFERENCES users (id),
  section_id  bigint REFERENCES sections (id),
  granted_by  bigint NOT NULL REFERENCES users (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK ((user_id IS NULL) <> (section_id IS NULL))
);
CREATE UNIQUE INDEX document_grants_user ON document_grants (document_id, user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX document_grants_section ON document_grants (document_id, section_id) WHERE section_id IS NOT NULL;
`,
	// 16: incoming documents handled the way Decree 30 art. 22–24 and
	// Appendix IV say (issue 15). After acceptance the clerk presents the
	// delivery to a leader (trình) or files it for information; the leader
	// directs it (ý kiến chỉ đạo in deliveries.opinion, the deadline in
	// deliveries.task_due) to tasks: a lead, coordinators and those informed,
	// each a section or a person with its own deadline; a section's head
	// gives the section's task to handlers (tasks with parent_id). The
	// delivery's status (01–06) stays what the sender sees. Every step is an
	// entry of the delivery's trail (append-only). The text of each
	// document's latest version (from its PDF's text layer, or OCR of a
	// scan) is kept for search. A paper document that arrived by post and
	// was scanned is a document of origin received_paper. Saved searches
	// are per person.
	`
ALTER TABLE deliveries ADD COLUMN presented_to bigint REFERENCES users (id);
ALTER TABLE deliveries ADD COLUMN presented_at timestamptz;
ALTER TABLE deliveries ADD COLUMN filed_at timestamptz;
ALTER TABLE deliveries ADD COLUMN directed_by bigint REFERENCES users (id);
ALTER TABLE deliveries ADD COLUMN directed_at timestamptz;
CREATE INDEX deliveries_presented ON deliveries (presented_to) WHERE presented_to IS NOT NULL AND directed_at IS NULL;

CREATE TABLE delivery_tasks (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id          bigint NOT NULL REFERENCES deliveries (id),
  parent_id            bigint REFERENCES delivery_tasks (id),
  role                 text NOT NULL CHECK (role IN ('lead', 'coordinate', 'inform')),
  section_id           bigint REFERENCES sections (id),
  user_id              bigint REFERENCES users (id),
  due_date             date,
  state                text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'in_progress', 'done', 'cancelled')),
  assigned_by          bigint NOT NULL REFERENCES users (id),
  assigned_at          timestamptz NOT NULL DEFAULT now(),
  started_at           timestamptz,
  done_at              timestamptz,
  response_document_id bigint REFERENCES documents (id),
  CHECK ((section_id IS NULL) <> (user_id IS NULL)),
  CHECK ((state = 'done') = (done_at IS NOT NULL))
);
CREATE INDEX delivery_tasks_delivery ON delivery_tasks (delivery_id, id);
CREATE INDEX delivery_tasks_user ON delivery_tasks (user_id, state) WHERE user_id IS NOT NULL;
CREATE INDEX delivery_tasks_section ON delivery_tasks (section_id, state) WHERE section_id IS NOT NULL;
CREATE INDEX delivery_tasks_parent ON delivery_tasks (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE delivery_entries (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id          bigint NOT NULL REFERENCES deliveries (id),
  task_id              bigint REFERENCES delivery_tasks (id),
  kind                 text NOT NULL CHECK (kind IN ('accept', 'present', 'forward', 'file', 'direct', 'assign',
                         'proposal', 'progress', 'contribution', 'done', 'reopen', 'remind', 'note')),
  author_id            bigint REFERENCES users (id),
  body                 text NOT NULL DEFAULT '',
  response_document_id bigint REFERENCES documents (id),
  created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_entries_delivery ON delivery_entries (delivery_id, id);
CREATE TRIGGER delivery_entries_immutable BEFORE UPDATE OR DELETE ON delivery_entries
  FOR EACH ROW EXECUTE FUNCTION forbid_change();

CREATE TABLE document_texts (
  document_id bigint PRIMARY KEY REFERENCES documents (id),
  version_no  integer NOT NULL,
  state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  method      text NOT NULL DEFAULT '' CHECK (method IN ('', 'text', 'ocr')),
  pages       integer NOT NULL DEFAULT 0,
  body        text NOT NULL DEFAULT '',
  error       text NOT NULL DEFAULT '',
  updated_at  timestamptz NOT NULL DEFAULT now(),
  search      tsvector GENERATED ALWAYS AS (
                to_tsvector('simple', regexp_replace(vn_unaccent(left(body, 500000)), '[^a-z0-9]+', ' ', 'g'))) STORED
);
CREATE INDEX document_texts_search ON document_texts USING gin (search);
CREATE INDEX document_texts_pending ON document_texts (updated_at) WHERE state = 'pending';

ALTER TABLE documents DROP CONSTRAINT documents_origin_check;
ALTER TABLE documents ADD CONSTRAINT documents_origin_check
  CHECK (origin IN ('outgoing', 'received', 'paper_copy', 'received_paper'));

CREATE TABLE saved_searches (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id    bigint NOT NULL REFERENCES users (id),
  name       text NOT NULL CHECK (name <> '' AND length(name) <= 200),
  params     jsonb NOT NULL DEFAULT '{}',
  columns    text[] NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, name)
);
`,
	// 17: search walks a unit's documents newest first and stops when it
	// has enough, rather than reading every match of a common word.
	`
CREATE INDEX documents_unit_date ON documents (unit_id, doc_date DESC, id DESC);
`,
	// 18: records (hồ sơ, Decree 30 art. 28–31, Appendix V, Appendix VI
	// III.4–5): a unit's file list of the year with its headings, the
	// files it plans and opens, the documents filed in them (one document
	// may sit in several files: III.4.e), and hand-overs to the unit's
	// archive, after which a file is frozen by the database itself
	// (III.5.d, IV.1.g). The archive officer is a role of its own.
	`
ALTER TABLE users DROP CONSTRAINT users_roles_check;
ALTER TABLE users ADD CONSTRAINT users_roles_check
  CHECK (roles <@ ARRAY['admin', 'clerk', 'signer', 'staff', 'archivist']::text[]);

CREATE TABLE file_lists (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  unit_id     bigint NOT NULL REFERENCES units (id),
  year        integer NOT NULL CHECK (year BETWEEN 2000 AND 2200),
  -- the document that issues the list (quyết định ban hành danh mục), once signed
  document_id bigint REFERENCES documents (id),
  created_by  bigint NOT NULL REFERENCES users (id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (unit_id, year)
);

-- Headings of a list: by section or by field (I, II, ...; 1, 2 under them).
CREATE TABLE file_headings (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  list_id    bigint NOT NULL REFERENCES file_lists (id),
  parent_id  bigint REFERENCES file_headings (id),
  position   integer NOT NULL DEFAULT 0,
  code       text NOT NULL DEFAULT '' CHECK (length(code) <= 20),
  title      text NOT NULL CHECK (title <> '' AND length(title) <= 500),
  section_id bigint REFERENCES sections (id)
);
CREATE INDEX file_headings_list ON file_headings (list_id, position);

-- A file (hồ sơ): planned in the list, opened by its responsible person,
-- closed when its work ends, handed over to the archive, or destroyed by
-- a decision. retention_years NULL means permanent (vĩnh viễn).
CREATE TABLE files (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  unit_id         bigint NOT NULL REFERENCES units (id),
  list_id         bigint NOT NULL REFERENCES file_lists (id),
  heading_id      bigint REFERENCES file_headings (id),
  position        integer NOT NULL DEFAULT 0,
  code            text NOT NULL CHECK (code <> '' AND length(code) <= 50),
  title           text NOT NULL CHECK (title <> '' AND length(title) <= 1000),
  retention_years integer CHECK (retention_years BETWEEN 1 AND 100),
  responsible_id  bigint REFERENCES users (id),
  note            text NOT NULL DEFAULT '',
  state           text NOT NULL DEFAULT 'planned'
                  CHECK (state IN ('planned', 'open', 'closed', 'handed_over', 'destroyed')),
  opened_at       timestamptz,
  opened_by       bigint REFERENCES users (id),
  closed_at       timestamptz,
  closed_by       bigint REFERENCES users (id),
  -- when the file is due at the archive (art. 31: within a year of the work's end)
  due_on          date,
  due_notified_at timestamptz,
  handover_id     bigint,
  destroyed_at    timestamptz,
  destroy_basis   text NOT NULL DEFAULT '',
  UNIQUE (list_id, code)
);
CREATE INDEX files_unit_state ON files (unit_id, state);
CREATE INDEX files_due ON files (due_on) WHERE state = 'closed';

-- The documents of a file, numbered in the order they were filed (III.4.b).
CREATE TABLE file_items (
  file_id     bigint NOT NULL REFERENCES files (id),
  seq         integer NOT NULL CHECK (seq > 0),
  document_id bigint NOT NULL REFERENCES documents (id),
  added_by    bigint NOT NULL REFERENCES users (id),
  added_at    timestamptz NOT NULL DEFAULT now(),
  note        text NOT NULL DEFAULT '',
  PRIMARY KEY (file_id, seq),
  UNIQUE (file_id, document_id)
);
CREATE INDEX file_items_document ON file_items (document_id);

-- A hand-over of files to the unit's archive: its list (mục lục hồ sơ
-- nộp lưu) and record (biên bản giao nhận) are documents, signed.
CREATE TABLE handovers (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  unit_id            bigint NOT NULL REFERENCES units (id),
  state              text NOT NULL DEFAULT 'prepared' CHECK (state IN ('prepared', 'handed_over')),
  created_by         bigint NOT NULL REFERENCES users (id),
  created_at         timestamptz NOT NULL DEFAULT now(),
  received_by        bigint REFERENCES users (id),
  handed_at          timestamptz,
  list_document_id   bigint REFERENCES documents (id),
  record_document_id bigint REFERENCES documents (id)
);
ALTER TABLE files ADD CONSTRAINT files_handover FOREIGN KEY (handover_id) REFERENCES handovers (id);

-- A handed-over file is frozen: no item added, moved or removed, and the
-- file itself changes only to be destroyed by a decision.
CREATE FUNCTION file_items_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE st text;
BEGIN
  SELECT state INTO st FROM files WHERE id = coalesce(NEW.file_id, OLD.file_id);
  IF st IN ('handed_over', 'destroyed') OR (TG_OP <> 'INSERT' AND OLD.file_id IN
       (SELECT id FROM files WHERE state IN ('handed_over', 'destroyed'))) THEN
    RAISE EXCEPTION 'file % is handed over to the archive and frozen', coalesce(NEW.file_id, OLD.file_id)
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN coalesce(NEW, OLD);
END $$;
CREATE TRIGGER file_items_frozen BEFORE INSERT OR UPDATE OR DELETE ON file_items
  FOR EACH ROW EXECUTE FUNCTION file_items_frozen();

CREATE FUNCTION files_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.state = 'destroyed' OR (OLD.state = 'handed_over' AND (TG_OP = 'DELETE'
       OR NEW.state <> 'destroyed' OR NEW.code <> OLD.code OR NEW.title <> OLD.title
       OR NEW.list_id <> OLD.list_id OR NEW.heading_id IS DISTINCT FROM OLD.heading_id
       OR NEW.retention_years IS DISTINCT FROM OLD.retention_years
       OR NEW.unit_id <> OLD.unit_id OR NEW.handover_id IS DISTINCT FROM OLD.handover_id)) THEN
    RAISE EXCEPTION 'file % is handed over to the archive and frozen', OLD.id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN coalesce(NEW, OLD);
END $$;
CREATE TRIGGER files_frozen BEFORE UPDATE OR DELETE ON files
  FOR EACH ROW EXECUTE FUNCTION files_frozen();
`,
	// 19: stored objects made write-once (WORM) when their file went to the
	// archive, and the last check of each one's SHA-256.
	`
CREATE TABLE locked_objects (
  object_key      text PRIMARY KEY,
  retain_until    timestamptz NOT NULL,
  locked_at       timestamptz NOT NULL DEFAULT now(),
  mode            text NOT NULL CHECK (mode IN ('object_lock', 'local')),
  last_checked_at timestamptz,
  last_ok         boolean,
  last_error      text NOT NULL DEFAULT ''
);
-- The check job takes those never checked first, then the oldest checks.
CREATE INDEX locked_objects_due ON locked_objects (last_checked_at NULLS FIRST, object_key);
`,
	// 20: the PAdES level of each signed document (B-T, B-LT, B-LTA) as the
	// long-term validation jobs leave it, and what the re-timestamping scan
	// needs (issue 16).
	`
CREATE TABLE document_ltv (
  document_id       bigint PRIMARY KEY REFERENCES documents (id),
  version_no        integer NOT NULL,
  level             text NOT NULL DEFAULT '' CHECK (level IN ('', 'B-B', 'B-T', 'B-LT', 'B-LTA')),
  -- B-LTA wanted (the file the document is in was closed) and kept
  archival          boolean NOT NULL DEFAULT false,
  -- the last document timestamp, and when its authority's certificate ends
  timestamped_at    timestamptz,
  tsa_not_after     timestamptz,
  last_error        text NOT NULL DEFAULT '',
  updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX document_ltv_retimestamp ON document_ltv (tsa_not_after) WHERE archival AND level = 'B-LTA';
`,
	// 21: the indicators of the reform plan per unit and month, kept by a
	// job from the raw rows (issue 18), and the (unit, month) pairs a change
	// made stale. Statement-level triggers mark the pairs: one INSERT per
	// statement, whatever the number of rows a fan-out writes.
	`
CREATE TABLE indicator_months (
  unit_id                bigint NOT NULL REFERENCES units (id),
  month                  date NOT NULL,
  issued                 integer NOT NULL DEFAULT 0,
  issued_valid           integer NOT NULL DEFAULT 0,
  cases_due              integer NOT NULL DEFAULT 0,
  cases_on_time          integer NOT NULL DEFAULT 0,
  cases_overdue          integer NOT NULL DEFAULT 0,
  received               integer NOT NULL DEFAULT 0,
  median_hours_to_accept double precision,
  leaders_active         integer NOT NULL DEFAULT 0,
  refreshed_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (unit_id, month),
  CHECK (month = date_trunc('month', month)::date)
);
CREATE INDEX indicator_months_month ON indicator_months (month, unit_id);

CREATE TABLE indicator_dirty (
  unit_id bigint NOT NULL,
  month   date NOT NULL,
  PRIMARY KEY (unit_id, month)
);

CREATE FUNCTION vn_month(t timestamptz) RETURNS date LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT date_trunc('month', t AT TIME ZONE 'Asia/Ho_Chi_Minh')::date $$;

CREATE FUNCTION indicator_dirty_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO indicator_dirty (unit_id, month)
  SELECT DISTINCT n.recipient_unit_id, m FROM changed n,
    LATERAL (VALUES (vn_month(n.arrived_at)), (date_trunc('month', coalesce(n.task_due, n.due_date))::date),
                    (vn_month(n.done_at)), (vn_month(n.directed_at))) v(m)
  WHERE m IS NOT NULL
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER deliveries_indicators_insert AFTER INSERT ON deliveries
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION indicator_dirty_deliveries();
CREATE TRIGGER deliveries_indicators_update_new AFTER UPDATE ON deliveries
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION indicator_dirty_deliveries();
CREATE TRIGGER deliveries_indicators_update_old AFTER UPDATE ON deliveries
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION indicator_dirty_deliveries();

CREATE FUNCTION indicator_dirty_tasks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO indicator_dirty (unit_id, month)
  SELECT DISTINCT d.recipient_unit_id, m FROM changed t JOIN deliveries d ON d.id = t.delivery_id,
    LATERAL (VALUES (date_trunc('month', t.due_date)::date), (date_trunc('month', coalesce(d.task_due, d.due_date))::date),
                    (vn_month(t.done_at))) v(m)
  WHERE m IS NOT NULL AND t.role = 'lead' AND t.parent_id IS NULL
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER delivery_tasks_indicators_insert AFTER INSERT ON delivery_tasks
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION indicator_dirty_tasks();
CREATE TRIGGER delivery_tasks_indicators_update_new AFTER UPDATE ON delivery_tasks
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION indicator_dirty_tasks();
CREATE TRIGGER delivery_tasks_indicators_update_old AFTER UPDATE ON delivery_tasks
  REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION indicator_dirty_tasks();

CREATE FUNCTION indicator_dirty_dispatches() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO indicator_dirty (unit_id, month)
  SELECT DISTINCT sender_unit_id, vn_month(created_at) FROM changed WHERE kind = 'issue'
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER dispatches_indicators AFTER INSERT ON dispatches
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION indicator_dirty_dispatches();

-- A verification report changes whether an issued document counts as
-- signed: the months of its issue dispatches.
CREATE FUNCTION indicator_dirty_reports() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO indicator_dirty (unit_id, month)
  SELECT DISTINCT x.sender_unit_id, vn_month(x.created_at) FROM changed r
  JOIN dispatches x ON x.document_id = r.document_id AND x.kind = 'issue'
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER verification_reports_indicators_insert AFTER INSERT ON verification_reports
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION indicator_dirty_reports();
CREATE TRIGGER verification_reports_indicators_update AFTER UPDATE ON verification_reports
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION indicator_dirty_reports();

-- A leader's signature makes them active in the month.
CREATE FUNCTION indicator_dirty_signatures() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO indicator_dirty (unit_id, month)
  SELECT DISTINCT unit_id, vn_month(signed_at) FROM changed WHERE kind = 'person'
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER document_signatures_indicators AFTER INSERT ON document_signatures
  REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION indicator_dirty_signatures();

-- Every pair with activity starts stale, so the first refresh fills the table.
INSERT INTO indicator_dirty (unit_id, month)
SELECT recipient_unit_id, vn_month(arrived_at) FROM deliveries
UNION SELECT recipient_unit_id, date_trunc('month', coalesce(task_due, due_date))::date FROM deliveries WHERE coalesce(task_due, due_date) IS NOT NULL
UNION SELECT sender_unit_id, vn_month(created_at) FROM dispatches WHERE kind = 'issue'
UNION SELECT unit_id, vn_month(signed_at) FROM document_signatures WHERE kind = 'person'
ON CONFLICT DO NOTHING;
`,
}
