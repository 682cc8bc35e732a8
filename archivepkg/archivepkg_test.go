package archivepkg

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/signing"
	"github.com/hcm-edu/vanban/signing/signingtest"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// newStore is a fresh bucket of the test S3 server, removed afterwards.
func newStore(t testing.TB) storage.Blobs {
	t.Helper()
	env := testenv.RequireS3(t)
	b := make([]byte, 6)
	rand.Read(b)
	bucket := "vanban-pkg-" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := storage.NewS3(ctx, storage.S3Options{Endpoint: env.Endpoint, Bucket: bucket, AccessKey: env.AccessKey,
		SecretKey: env.SecretKey, Region: env.Region, UseSSL: env.UseSSL})
	if err != nil {
		t.Fatalf("NewS3: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var keys []string
		s.List(ctx, "", func(i storage.Info) error { keys = append(keys, i.Key); return nil })
		for _, k := range keys {
			s.Delete(ctx, k)
		}
		c, err := minio.New(env.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(env.AccessKey, env.SecretKey, ""),
			Secure: env.UseSSL, Region: env.Region, BucketLookup: minio.BucketLookupPath})
		if err == nil {
			c.RemoveBucket(ctx, bucket)
		}
	})
	return s
}

type fixture struct {
	db      *sqlx.DB
	store   storage.Blobs
	pki     *signingtest.PKI
	unitID  int64
	userID  int64
	senders int64
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newFixture is a database and a bucket with a school, an external sender
// and the school's administrator.
func newFixture(t testing.TB, pki *signingtest.PKI) *fixture {
	t.Helper()
	db, _ := testenv.NewDB(t)
	f := &fixture{db: db, store: newStore(t), pki: pki}
	must(t, db.Get(&f.unitID, `INSERT INTO units (code, name, abbreviation, kind) VALUES
		('000.00.21.H29', 'Trường Tiểu học Ĩnh', 'THĨ', 'school') RETURNING id`))
	must(t, db.Get(&f.senders, `INSERT INTO units (code, name, abbreviation, kind) VALUES
		('000.00.00.H29', 'Sở Giáo dục và Đào tạo Thành phố Hồ Chí Minh', 'SGDĐT', 'department') RETURNING id`))
	must(t, db.Get(&f.userID, `INSERT INTO users (username, full_name, unit_id, roles, password_hash)
		VALUES ('quantri', 'Lê Thị Lưu', $1, '{admin,clerk}', '!') RETURNING id`, f.unitID))
	return f
}

// put stores b and returns its key and SHA-256.
func (f *fixture) put(t testing.TB, b []byte) (string, string) {
	t.Helper()
	h := sha256.Sum256(b)
	sum := hex.EncodeToString(h[:])
	key, _ := storage.KeyFor(sum)
	must(t, f.store.Put(context.Background(), key, bytes.NewReader(b), int64(len(b))))
	return key, sum
}

// sign signs pdf as the person, then as the organisation.
func sign(t testing.TB, pki *signingtest.PKI, pdf []byte, org bool) []byte {
	t.Helper()
	out, err := signing.Sign(context.Background(), pdf, signing.Options{Key: pki.Person, Reason: "Phê duyệt"})
	must(t, err)
	if org {
		out, err = signing.Sign(context.Background(), out, signing.Options{Key: pki.Org, Reason: "Ban hành văn bản"})
		must(t, err)
	}
	return out
}

type docSpec struct {
	origin, title, fileName string
	unitID                  int64
	number                  int
	symbol                  string
	incoming                int
	pdf                     []byte
	attachments             [][]byte
	sealed                  []byte // the first attachment as sealed
}

// addDocument creates a document with one version and its attachments.
func (f *fixture) addDocument(t testing.TB, s docSpec) int64 {
	t.Helper()
	tx := f.db.MustBegin()
	defer tx.Rollback()
	var number, symbol any
	if s.number > 0 {
		number, symbol = s.number, s.symbol
	}
	var id int64
	must(t, tx.Get(&id, `INSERT INTO documents (unit_id, doc_type, number, symbol, title, doc_date, urgency, confidentiality,
		status, signer_name, created_by, origin) VALUES ($1, 'Kế hoạch', $2, $3, $4, '2026-03-02', 'khan', 'thuong', 'issued',
		'Nguyễn Văn Lĩnh', $5, $6) RETURNING id`, s.unitID, number, symbol, s.title, f.userID, s.origin))
	if s.number > 0 && s.origin == "outgoing" {
		tx.MustExec(`INSERT INTO registrations (unit_id, year, series, number, document_id, registered_by) VALUES ($1, 2026, 'outgoing', $2, $3, $4)`,
			s.unitID, s.number, id, f.userID)
	}
	key, sum := f.put(t, s.pdf)
	tx.MustExec(`INSERT INTO document_versions (document_id, version_no, object_key, sha256, size_bytes, media_type, file_name, created_by)
		VALUES ($1, 2, $2, $3, $4, 'application/pdf', $5, $6)`, id, key, sum, len(s.pdf), s.fileName, f.userID)
	tx.MustExec(`INSERT INTO document_signatures (document_id, version_no, kind, signed_by, unit_id, page, llx, lly, urx, ury,
		certificate_subject, certificate_serial, signed_at, position) VALUES ($1, 2, 'person', $2, $3, 1, 0, 0, 1, 1, 'CN=x', '1', now(), 'HIỆU TRƯỞNG')`,
		id, f.userID, f.unitID)
	for i, a := range s.attachments {
		k, sm := f.put(t, a)
		var sk, ss any
		var sz any
		var sat any
		if i == 0 && s.sealed != nil {
			k2, s2 := f.put(t, s.sealed)
			sk, ss, sz, sat = k2, s2, len(s.sealed), time.Now()
		}
		tx.MustExec(`INSERT INTO document_attachments (document_id, position, title, object_key, sha256, size_bytes, media_type,
			file_name, sealed_object_key, sealed_sha256, sealed_size_bytes, sealed_at, added_by)
			VALUES ($1, $2, $3, $4, $5, $6, 'application/pdf', $7, $8, $9, $10, $11, $12)`,
			id, i+1, fmt.Sprintf("Phụ lục %d", i+1), k, sm, len(a), fmt.Sprintf("Phụ lục %d.pdf", i+1), sk, ss, sz, sat, f.userID)
	}
	if s.incoming > 0 {
		var dp int64
		must(t, tx.Get(&dp, `INSERT INTO dispatches (document_id, sender_unit_id, kind, version_no, urgency, steering, created_by)
			VALUES ($1, $2, 'import', 2, 'khan', 1, $3) RETURNING id`, id, s.unitID, f.userID))
		tx.MustExec(`INSERT INTO deliveries (dispatch_id, document_id, sender_unit_id, recipient_unit_id, urgency, status,
			incoming_year, incoming_number, accepted_at, arrived_at) VALUES ($1, $2, $3, $4, 'khan', '03', 2026, $5, '2026-03-05T09:00:00+07:00', '2026-03-05T08:00:00+07:00')`,
			dp, id, s.unitID, f.unitID, s.incoming)
	}
	must(t, tx.Commit())
	return id
}

// addFile files the documents, in order, in a new file of 2026; a
// handed-over file is handed over after.
func (f *fixture) addFile(t testing.TB, code, state string, docs ...int64) int64 {
	t.Helper()
	var list int64
	must(t, f.db.Get(&list, `INSERT INTO file_lists (unit_id, year, created_by) VALUES ($1, 2026, $2)
		ON CONFLICT (unit_id, year) DO UPDATE SET year = 2026 RETURNING id`, f.unitID, f.userID))
	var heading int64
	must(t, f.db.Get(&heading, `INSERT INTO file_headings (list_id, code, title) VALUES ($1, 'I', 'Công tác chuyên môn') RETURNING id`, list))
	var id int64
	must(t, f.db.Get(&id, `INSERT INTO files (unit_id, list_id, heading_id, code, title, retention_years, responsible_id, state, opened_at, opened_by, closed_at, closed_by, due_on)
		VALUES ($1, $2, $3, $4, 'Hồ sơ kế hoạch năm học 2025–2026', 10, $5, 'closed', now(), $5, now(), $5, '2027-06-30') RETURNING id`,
		f.unitID, list, heading, code, f.userID))
	for i, d := range docs {
		f.db.MustExec(`INSERT INTO file_items (file_id, seq, document_id, added_by, note) VALUES ($1, $2, $3, $4, '')`, id, i+1, d, f.userID)
	}
	if state == "handed_over" {
		f.db.MustExec(`WITH h AS (INSERT INTO handovers (unit_id, state, created_by, handed_at) VALUES ($1, 'handed_over', $2, now()) RETURNING id)
			UPDATE files SET state = 'handed_over', handover_id = (SELECT id FROM h) WHERE id = $3`, f.unitID, f.userID, id)
	}
	return id
}

// source is a school with a handed-over file of three documents: an
// outgoing plan signed and issued with a sealed attachment, an incoming
// letter from the department, and an unsigned scan of a paper original.
func source(t testing.TB, pki *signingtest.PKI) (*fixture, int64) {
	f := newFixture(t, pki)
	plan := f.addDocument(t, docSpec{origin: "outgoing", title: "Kế hoạch năm học 2025–2026", fileName: "Kế hoạch năm học.pdf",
		unitID: f.unitID, number: 12, symbol: "KH-THĨ", pdf: sign(t, pki, testenv.PDF(3000, 1), true),
		attachments: [][]byte{testenv.PDF(2000, 2), testenv.PDF(2000, 3)}, sealed: sign(t, pki, testenv.PDF(2000, 2), false)})
	answer := f.addDocument(t, docSpec{origin: "received", title: "Về việc góp ý kế hoạch", fileName: "Công văn 45.pdf",
		unitID: f.senders, number: 45, symbol: "SGDĐT-VP", incoming: 7, pdf: sign(t, pki, testenv.PDF(3000, 4), true)})
	scan := f.addDocument(t, docSpec{origin: "received_paper", title: "Biên bản họp tổ chuyên môn", fileName: "bien-ban.pdf",
		unitID: f.unitID, pdf: testenv.PDF(3000, 5)})
	return f, f.addFile(t, "01.KH", "handed_over", plan, answer, scan)
}

func export(t testing.TB, f *fixture, fileID int64) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Export(context.Background(), f.db, f.store, fileID, &b); err != nil {
		t.Fatalf("Export: %v", err)
	}
	return b.Bytes()
}

func entries(t testing.TB, pkg []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	must(t, err)
	m := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		must(t, err)
		b, err := io.ReadAll(rc)
		must(t, err)
		m[f.Name] = b
	}
	return m
}

func TestExportImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	pki := signingtest.NewPKI(t)
	src, fileID := source(t, pki)
	pkg := export(t, src, fileID)
	got := entries(t, pkg)
	for _, name := range []string{"hoso.xml", "schema/vanban-hoso.xsd", "manifest.xml", "vanban/0001/metadata.xml",
		"vanban/0001/Kế hoạch năm học.pdf", "vanban/0001/dinh-kem-01/Phụ lục 1.pdf", "vanban/0001/dinh-kem-01/da-ky/Phụ lục 1.pdf",
		"vanban/0001/dinh-kem-02/Phụ lục 2.pdf", "vanban/0002/Công văn 45.pdf", "vanban/0003/bien-ban.pdf"} {
		if _, ok := got[name]; !ok {
			t.Errorf("the package lacks %s", name)
		}
	}
	zr, _ := zip.NewReader(bytes.NewReader(pkg), int64(len(pkg)))
	if last := zr.File[len(zr.File)-1].Name; last != ManifestEntry || zr.File[0].Name != FileEntry {
		t.Errorf("entries run from %s to %s, want hoso.xml first and manifest.xml last", zr.File[0].Name, last)
	}
	meta := string(got["vanban/0002/metadata.xml"])
	for _, want := range []string{"<ArrivalNumber>7</ArrivalNumber>", "<ArrivalDate>2026-03-05</ArrivalDate>", "<CodeNotation>SGDĐT-VP</CodeNotation>",
		"<OrganId>000.00.00.H29</OrganId>", "<Priority>1</Priority>", "<Origin>received</Origin>"} {
		if !strings.Contains(meta, want) {
			t.Errorf("metadata.xml of the incoming letter lacks %s:\n%s", want, meta)
		}
	}
	if h := string(got["hoso.xml"]); !strings.Contains(h, "<Maintenance>10 năm</Maintenance>") || !strings.Contains(h, "<State>handed_over</State>") {
		t.Errorf("hoso.xml:\n%s", h)
	}
	validate(t, got)

	// Into a vanban with nothing but its administrator.
	dst := newFixture(t, pki)
	dst.db.MustExec(`DELETE FROM users WHERE username = 'quantri'`)
	var adminUnit int64
	must(t, dst.db.Get(&adminUnit, `INSERT INTO units (code, name, abbreviation, kind) VALUES ('QT', 'Quản trị', 'QT', 'office') RETURNING id`))
	dst.db.MustExec(`DELETE FROM units WHERE code <> 'QT'`)
	dst.db.MustExec(`INSERT INTO users (username, full_name, unit_id, roles, password_hash) VALUES ('admin', 'Quản trị', $1, '{admin}', '!')`, adminUnit)
	res, err := Import(ctx, dst.db, dst.store, bytes.NewReader(pkg), int64(len(pkg)), Options{As: "admin", Roots: pki.Roots})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	if len(res.Documents) != 3 || res.FileID == 0 || res.State != "handed_over" {
		t.Fatalf("Import = %+v", res)
	}
	for i, d := range res.Documents {
		wantSigned := i < 2
		if wantSigned != (d.Signatures > 0 && d.Valid) {
			t.Errorf("document %d: %d signatures, valid %v (%s)", i+1, d.Signatures, d.Valid, d.Verdict)
		}
	}
	// Same documents, same bytes, same order, same state.
	type row struct {
		Seq    int    `db:"seq"`
		Title  string `db:"title"`
		SHA256 string `db:"sha256"`
		Key    string `db:"object_key"`
		Origin string `db:"origin"`
		NS     string `db:"ns"`
	}
	items := func(db *sqlx.DB, id int64) []row {
		var rs []row
		must(t, db.Select(&rs, `SELECT i.seq, d.title, v.sha256, v.object_key, d.origin, coalesce(d.number_symbol, '') AS ns
			FROM file_items i JOIN documents d ON d.id = i.document_id
			JOIN document_versions v ON v.document_id = d.id WHERE i.file_id = $1 ORDER BY i.seq, v.version_no`, id))
		return rs
	}
	a, b := items(src.db, fileID), items(dst.db, res.FileID)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("items differ:\n%v\n%v", a, b)
	}
	for _, r := range b {
		rc, err := dst.store.Open(ctx, r.Key, 0, -1)
		must(t, err)
		data, _ := io.ReadAll(rc)
		rc.Close()
		if s := sha256.Sum256(data); hex.EncodeToString(s[:]) != r.SHA256 {
			t.Errorf("stored %s does not hash to %s", r.Key, r.SHA256)
		}
	}
	var state string
	var handover *int64
	must(t, dst.db.QueryRow(`SELECT state, handover_id FROM files WHERE id = $1`, res.FileID).Scan(&state, &handover))
	if state != "handed_over" || handover == nil {
		t.Errorf("imported file is %s (hand-over %v), want handed_over", state, handover)
	}
	if _, err := dst.db.Exec(`DELETE FROM file_items WHERE file_id = $1`, res.FileID); err == nil || !strings.Contains(err.Error(), "frozen") {
		t.Errorf("the imported file is not frozen: %v", err)
	}
	var inNo, attachments, sealed, reg, audits int
	must(t, dst.db.Get(&inNo, `SELECT incoming_number FROM deliveries d JOIN units u ON u.id = d.recipient_unit_id WHERE u.code = '000.00.21.H29'`))
	must(t, dst.db.Get(&attachments, `SELECT count(*) FROM document_attachments`))
	must(t, dst.db.Get(&sealed, `SELECT count(*) FROM document_attachments WHERE sealed_object_key IS NOT NULL AND verify_valid`))
	must(t, dst.db.Get(&reg, `SELECT last_number FROM number_counters WHERE series = 'outgoing'`))
	must(t, dst.db.Get(&audits, `SELECT count(*) FROM audit_log WHERE action IN ('file.import', 'document.import')`))
	if inNo != 7 || attachments != 2 || sealed != 1 || reg != 12 || audits != 4 {
		t.Errorf("incoming number %d, %d attachments (%d sealed), outgoing counter %d, %d audit entries", inNo, attachments, sealed, reg, audits)
	}

	// Exported again from the new vanban, every entry but the export time
	// is the same, and the signer's position: vanban keeps it on its record
	// of each signature made through it, which an import does not make.
	again := entries(t, export(t, dst, res.FileID))
	for name, data := range got {
		if name == FileEntry || name == ManifestEntry {
			continue
		}
		if strings.HasSuffix(name, metadataName) {
			data = bytes.Replace(data, []byte("<Position>HIỆU TRƯỞNG</Position>"), []byte("<Position></Position>"), 1)
		}
		if !bytes.Equal(again[name], data) {
			t.Errorf("%s differs after the round trip:\n%s\n%s", name, data, again[name])
		}
	}
	// Importing it twice is refused, and a second file sharing a document files it without copying it.
	if _, err := Import(ctx, dst.db, dst.store, bytes.NewReader(pkg), int64(len(pkg)), Options{As: "admin", Roots: pki.Roots}); err == nil ||
		!strings.Contains(err.Error(), "already") {
		t.Errorf("second import: %v", err)
	}
}

// validate checks every XML of the package against the schema with
// xmllint, independently of the Go code.
func validate(t testing.TB, got map[string][]byte) {
	t.Helper()
	if _, err := exec.LookPath("xmllint"); err != nil {
		testenv.Missing(t, "xmllint (libxml2-utils)")
	}
	dir := t.TempDir()
	xsd := filepath.Join(dir, "schema.xsd")
	must(t, os.WriteFile(xsd, got[SchemaEntry], 0o600))
	if !bytes.Equal(got[SchemaEntry], Schema) {
		t.Error("the package's schema is not the embedded one")
	}
	n := 0
	for name, data := range got {
		if !strings.HasSuffix(name, ".xml") {
			continue
		}
		n++
		p := filepath.Join(dir, fmt.Sprintf("%d.xml", n))
		must(t, os.WriteFile(p, data, 0o600))
		if out, err := exec.Command("xmllint", "--noout", "--nonet", "--schema", xsd, p).CombinedOutput(); err != nil {
			t.Errorf("xmllint %s: %v\n%s", name, err, out)
		}
	}
	if n < 3 {
		t.Errorf("only %d XML files", n)
	}
}
