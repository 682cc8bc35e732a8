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
}
