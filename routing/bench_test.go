package routing_test

// Benchmarks for the routing issue's figures. They need PostgreSQL
// (VANBAN_TEST_DATABASE_URL, as the tests do) and run only with -bench:
//
//	go test ./routing/ -run '^$' -bench . -benchtime 1x -count 3
//
// Each one measures a fixed amount of work whatever b.N is (more if
// -benchtime asks for more iterations), and reports its own figures with
// b.ReportMetric:
//
//   - BenchmarkIssueToAll: Issue to all district offices and schools
//     (3,026 recipients) against the bare INSERT of the same rows into
//     copies of deliveries, interleaved. Goal: issue ≤ 2× baseline and
//     < 300 ms.
//   - BenchmarkInbox1M: the first inbox page over 1,000,000 deliveries.
//     Goal: p99 < 20 ms. VANBAN_BENCH_EXPLAIN=1 logs every query's plan
//     (EXPLAIN ANALYZE, BUFFERS); a case over the goal logs its plan anyway.
//     The fill takes 20 to 50 s on two CPUs, depending on their load.
//   - BenchmarkConcurrentNumbering: 50 clerks taking secret-series numbers
//     for VANBAN_BENCH_NUMBERING_SECONDS (default 10), then 8 clerks doing
//     full signed registrations for half that time; fails on any duplicate
//     or gap in the series.

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/database"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/routing"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

const benchPassword = "mật-khẩu-đo-hiệu-năng-1"

// benchEnv is the routing fixture for benchmarks: a fresh database with the
// demo organisation and the services over it.
type benchEnv struct {
	tb    testing.TB
	ctx   context.Context
	db    *sqlx.DB
	url   string
	docs  *documents.Service
	rt    *routing.Service
	users *auth.Service
	units *org.Store
	seq   atomic.Uint64
}

// newBenchEnv seeds the demo organisation with extra schools. maxConns > 0
// gives the services a pool of that size instead of the test default (10).
func newBenchEnv(tb testing.TB, schools, maxConns int) *benchEnv {
	tb.Helper()
	ctx := tb.Context()
	db, url := testenv.NewDB(tb)
	if maxConns > 0 {
		own, err := database.Open(ctx, url, maxConns)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { own.Close() })
		db = own
	}
	users := auth.NewService(db, time.Hour)
	units := org.NewStore(db)
	if _, err := demo.Seed(ctx, units, users, benchPassword, schools); err != nil {
		tb.Fatal(err)
	}
	blobs, err := storage.NewLocal(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	docs, err := documents.NewService(db, blobs, tb.TempDir(), 32<<20)
	if err != nil {
		tb.Fatal(err)
	}
	return &benchEnv{tb: tb, ctx: ctx, db: db, url: url, docs: docs, rt: routing.New(db, docs, notify.NewStore(db, false)),
		users: users, units: units}
}

func (e *benchEnv) who(username string) auth.Principal {
	e.tb.Helper()
	p, err := e.users.PrincipalByUsername(e.ctx, username)
	if err != nil {
		e.tb.Fatalf("%s: %v", username, err)
	}
	return p
}

// document uploads a document of p's unit of about size bytes; with
// numbered set the department's director signs it and p registers it
// (enableSigning first), ready to issue.
func (e *benchEnv) document(p auth.Principal, size int, numbered bool) (documents.Document, error) {
	seq := e.seq.Add(1)
	up, err := e.docs.Spool(e.ctx, bytes.NewReader(testenv.PDF(size, seq)), "Kế hoạch.pdf")
	if err != nil {
		return documents.Document{}, err
	}
	defer up.Close()
	m := documents.Meta{DocType: "KH", Title: fmt.Sprintf("Kế hoạch đo hiệu năng %d", seq), DocDate: "2026-11-20", Confidentiality: "thuong"}
	d, err := e.docs.Create(e.ctx, p, m, up)
	if err != nil || !numbered {
		return d, err
	}
	if d, err = e.docs.SignAsPerson(e.ctx, e.who("giamdoc.sgd"), d.ID, documents.SignRequest{VersionSHA256: d.Versions[0].SHA256}); err != nil {
		return d, err
	}
	return e.docs.AssignNumber(e.ctx, p, d.ID, documents.NumberRequest{VersionSHA256: d.Versions[0].SHA256})
}

// enableSigning gives the demo's signers and clerks development keys.
func (e *benchEnv) enableSigning() {
	e.tb.Helper()
	if err := demo.EnableDevSigning(e.ctx, e.tb.TempDir(), e.users, e.docs, 64<<20); err != nil {
		e.tb.Fatal(err)
	}
}

// newUsers creates n users of unit with role, named prefix01, prefix02...,
// in parallel (bcrypt takes most of the time).
func (e *benchEnv) newUsers(n int, prefix string, unitID int64, role string) []auth.Principal {
	e.tb.Helper()
	out := make([]auth.Principal, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("%s%02d", prefix, i+1)
			if _, err := e.users.CreateUser(e.ctx, auth.NewUser{Username: name, FullName: "Văn thư " + name, Position: "Văn thư",
				UnitID: unitID, Roles: []string{role}, Password: benchPassword}); err != nil {
				errs[i] = err
				return
			}
			out[i], errs[i] = e.users.PrincipalByUsername(e.ctx, name)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			e.tb.Fatal(err)
		}
	}
	return out
}

// ---------------------------------------------------------------------------
// Issue to every district office and school.

// BenchmarkIssueToAll times Issue of a numbered document of the department
// to the groups district_offices and schools, and in the same run the bare
// INSERT ... SELECT FROM unnest of the same rows, in a transaction of its
// own, into two copies of deliveries with the same columns, checks and
// indexes: deliveries_baseline, which has its foreign keys too (the
// baseline of the goal: inserting the rows costs at least that), and
// deliveries_bare, which has not (what LIKE ... INCLUDING ALL gives; the
// difference is the cost of the foreign-key checks). The three rotate
// which goes first, so that they share the machine's noise.
func BenchmarkIssueToAll(b *testing.B) {
	const minRounds = 30
	e := newBenchEnv(b, 3000, 0)
	e.enableSigning()
	clerk := e.who("vanthu.sgd")
	var recipients []int64
	err := e.db.SelectContext(e.ctx, &recipients, `
		SELECT id FROM units WHERE kind IN ('district_office', 'school') AND id <> $1 ORDER BY id`, clerk.UnitID)
	if err != nil {
		b.Fatal(err)
	}
	e.copyDeliveries("deliveries_baseline", true)
	e.copyDeliveries("deliveries_bare", false)

	due := time.Now().In(domain.VietnamTime).AddDate(0, 0, 30).Format(time.DateOnly)
	req := routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{"district_offices", "schools"}},
		Steering: routing.SteeringDirective, DueDate: due}
	newDoc := func() documents.Document {
		d, err := e.document(clerk, 2000, true)
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	issue := func(d documents.Document) (routing.IssueResult, time.Duration) {
		b.StartTimer()
		start := time.Now()
		res, err := e.rt.Issue(e.ctx, clerk, d.ID, req)
		took := time.Since(start)
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		if res.Delivered != len(recipients) || res.Skipped != 0 {
			b.Fatalf("issue delivered %d, skipped %d; want %d recipient units", res.Delivered, res.Skipped, len(recipients))
		}
		return res, took
	}
	insert := func(table string, dispatchID, docID int64) time.Duration {
		start := time.Now()
		tx, err := e.db.BeginTxx(e.ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer tx.Rollback()
		// The statement Issue runs, on the copy.
		res, err := tx.ExecContext(e.ctx, `
			INSERT INTO `+table+` (dispatch_id, document_id, sender_unit_id, recipient_unit_id, urgency, due_date)
			SELECT $1, $2, $3, u, $4, $5 FROM unnest($6::bigint[]) AS u
			ON CONFLICT (document_id, recipient_unit_id) DO NOTHING`,
			dispatchID, docID, clerk.UnitID, "thuong", due, pq.Array(recipients))
		if err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		took := time.Since(start)
		if n, _ := res.RowsAffected(); n != int64(len(recipients)) {
			b.Fatalf("%s: inserted %d rows, want %d", table, n, len(recipients))
		}
		return took
	}

	b.StopTimer()
	// A warm-up round, not recorded; it also checks once, in the
	// database, that the issue delivered to every recipient unit.
	d := newDoc()
	res, _ := issue(d)
	var stored int
	if err := e.db.GetContext(e.ctx, &stored, `SELECT count(*) FROM deliveries WHERE dispatch_id = $1`, res.DispatchID); err != nil {
		b.Fatal(err)
	}
	if stored != len(recipients) {
		b.Fatalf("the issue stored %d deliveries, want %d", stored, len(recipients))
	}
	insert("deliveries_baseline", res.DispatchID, d.ID)
	insert("deliveries_bare", res.DispatchID, d.ID)
	lastDispatch := res.DispatchID
	b.ResetTimer()

	n := max(b.N, minRounds)
	var issues, bases, bares, ratios, bareRatios []float64
	var total time.Duration
	for i := range n {
		d := newDoc()
		var tIssue, tBase, tBare time.Duration
		// The copies' rows name this round's document and the latest
		// dispatch (any dispatch satisfies the foreign key), so that
		// any of the three can go first.
		steps := []func(){
			func() { res, tIssue = issue(d) },
			func() { tBase = insert("deliveries_baseline", lastDispatch, d.ID) },
			func() { tBare = insert("deliveries_bare", lastDispatch, d.ID) },
		}
		for j := range steps {
			steps[(i+j)%len(steps)]()
		}
		lastDispatch = res.DispatchID
		total += tIssue
		issues, bases, bares = append(issues, ms(tIssue)), append(bases, ms(tBase)), append(bares, ms(tBare))
		ratios, bareRatios = append(ratios, float64(tIssue)/float64(tBase)), append(bareRatios, float64(tIssue)/float64(tBare))
	}
	for _, s := range [][]float64{issues, bases, bares, ratios, bareRatios} {
		slices.Sort(s)
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(n), "ns/op")
	b.ReportMetric(quantile(issues, 0.5), "issue-ms")
	b.ReportMetric(quantile(bases, 0.5), "baseline-ms")
	b.ReportMetric(quantile(bares, 0.5), "bare-ms")
	b.ReportMetric(quantile(ratios, 0.5), "issue/baseline")
	b.ReportMetric(quantile(bareRatios, 0.5), "issue/bare")
	b.ReportMetric(quantile(issues, 0.9)/quantile(issues, 0.5), "issue-p90/p50")
	b.ReportMetric(quantile(bases, 0.9)/quantile(bases, 0.5), "baseline-p90/p50")
	b.ReportMetric(float64(len(recipients)), "deliveries/op")
	q := func(s []float64) string {
		return fmt.Sprintf("%.2f/%.2f/%.2f", quantile(s, 0.1), quantile(s, 0.5), quantile(s, 0.9))
	}
	b.Logf("%d rounds, p10/p50/p90: issue %s ms, baseline %s ms, bare %s ms; issue/baseline %s, issue/bare %s (goal: issue/baseline ≤ 2, issue < 300 ms)",
		n, q(issues), q(bases), q(bares), q(ratios), q(bareRatios))
}

// copyDeliveries makes a copy of deliveries. LIKE ... INCLUDING ALL copies
// the columns, defaults, identity, checks and every index (the unique
// constraints and the partial inbox index too) but not the foreign keys;
// withFKs copies those from the catalogue. It fails unless the copy's
// indexes and constraints are those of deliveries.
func (e *benchEnv) copyDeliveries(table string, withFKs bool) {
	e.tb.Helper()
	if _, err := e.db.ExecContext(e.ctx, `CREATE TABLE `+table+` (LIKE deliveries INCLUDING ALL)`); err != nil {
		e.tb.Fatal(err)
	}
	var fks []string
	err := e.db.SelectContext(e.ctx, &fks, `
		SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'deliveries'::regclass AND contype = 'f' ORDER BY conname`)
	if err != nil {
		e.tb.Fatal(err)
	}
	for _, fk := range fks {
		if !withFKs {
			break
		}
		if _, err := e.db.ExecContext(e.ctx, `ALTER TABLE `+table+` ADD `+fk); err != nil {
			e.tb.Fatal(err)
		}
	}
	shape := func(table string) []string {
		var defs []string
		err := e.db.SelectContext(e.ctx, &defs, `
			SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = $1
			UNION ALL
			SELECT contype::text || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
			WHERE conrelid = $1::regclass AND (contype <> 'f' OR $2)`, table, withFKs)
		if err != nil {
			e.tb.Fatal(err)
		}
		name := regexp.MustCompile(`INDEX \S+ ON \S+`)
		for i, d := range defs {
			defs[i] = name.ReplaceAllString(d, "INDEX ON t")
		}
		slices.Sort(defs)
		return defs
	}
	want, got := shape("deliveries"), shape(table)
	if !slices.Equal(want, got) {
		e.tb.Fatalf("%s differs from deliveries:\n%s\nwant\n%s", table, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if os.Getenv("VANBAN_BENCH_EXPLAIN") != "" {
		e.tb.Logf("%s has, like deliveries:\n%s", table, strings.Join(got, "\n"))
	}
}

// ---------------------------------------------------------------------------
// Inbox over a million deliveries.

// BenchmarkInbox1M fills deliveries with 1,000,000 rows over a year:
// 1,800 documents of the department, each to the 22 district offices and
// 478 schools (about 286 per school, 1,800 per district office), and
// 100,000 reports of schools to the department (the busiest inbox). Then it
// times the first page of inboxes, unfiltered and filtered to open and
// overdue deliveries.
func BenchmarkInbox1M(b *testing.B) {
	const minCalls = 1000
	e := newBenchEnv(b, 3000, 0)
	start := time.Now()
	e.fillDeliveries(1800, 500, 100_000)
	b.Logf("filled 1,000,000 deliveries (and 101,800 documents, versions, reports, dispatches) in %s, VACUUM ANALYZE included",
		time.Since(start).Round(100*time.Millisecond))

	// The school of median load, a district office and the busiest unit.
	var counts []struct {
		Unit int64  `db:"recipient_unit_id"`
		Kind string `db:"kind"`
		N    int    `db:"n"`
	}
	err := e.db.SelectContext(e.ctx, &counts, `
		SELECT dl.recipient_unit_id, u.kind, count(*) AS n FROM deliveries dl JOIN units u ON u.id = dl.recipient_unit_id
		WHERE NOT dl.removed GROUP BY 1, 2 ORDER BY n, 1`)
	if err != nil {
		b.Fatal(err)
	}
	var schools []int
	for i, c := range counts {
		if c.Kind == "school" {
			schools = append(schools, i)
		}
	}
	school, busiest := counts[schools[len(schools)/2]], counts[len(counts)-1]
	dept := e.who("vanthu.sgd")
	if busiest.Unit != dept.UnitID {
		b.Fatalf("the busiest unit is %d, not the department", busiest.Unit)
	}
	schoolClerk := e.newUsers(1, "bench.truong", school.Unit, auth.RoleClerk)[0]
	district := e.who("vanthu.q1")
	var districtN int
	for _, c := range counts {
		if c.Unit == district.UnitID {
			districtN = c.N
		}
	}
	b.Logf("inboxes: school %d has %d deliveries, district office %d has %d, department %d has %d",
		school.Unit, school.N, district.UnitID, districtN, busiest.Unit, busiest.N)

	explainAll := os.Getenv("VANBAN_BENCH_EXPLAIN") != ""
	cases := []struct {
		name string
		p    auth.Principal
		n    int
		f    routing.InboxFilter
	}{
		{"school", schoolClerk, school.N, routing.InboxFilter{Limit: 50}},
		{"district_office", district, districtN, routing.InboxFilter{Limit: 50}},
		{"busiest", dept, busiest.N, routing.InboxFilter{Limit: 50}},
		{"school_open_overdue", schoolClerk, school.N, routing.InboxFilter{Status: "open", Overdue: true, Limit: 50}},
		{"busiest_open_overdue", dept, busiest.N, routing.InboxFilter{Status: "open", Overdue: true, Limit: 50}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for range 20 { // warm the cache and the calendar
				if _, err := e.rt.Inbox(e.ctx, c.p, c.f); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			n := max(b.N, minCalls)
			took := make([]float64, n)
			rows := 0
			for i := range n {
				start := time.Now()
				page, err := e.rt.Inbox(e.ctx, c.p, c.f)
				took[i] = ms(time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				rows = len(page.Items)
			}
			b.StopTimer()
			mean := 0.0
			for _, t := range took {
				mean += t
			}
			mean /= float64(n)
			slices.Sort(took)
			p99 := quantile(took, 0.99)
			b.ReportMetric(mean*1e6, "ns/op")
			b.ReportMetric(quantile(took, 0.5), "p50-ms")
			b.ReportMetric(p99, "p99-ms")
			b.ReportMetric(float64(rows), "rows")
			b.ReportMetric(float64(c.n), "inbox-size")
			// The buffers the query touches do not depend on the machine's
			// load, unlike its latency.
			plan := e.explainInbox(c.p, c.f)
			b.ReportMetric(float64(planBuffers(plan)), "buffers/op")
			if explainAll || p99 >= 20 {
				b.Logf("%s: p99 %.1f ms over %d calls (goal < 20 ms); plan:\n%s", c.name, p99, n, plan)
			}
		})
	}
}

// fillDeliveries writes a year of traffic straight into the tables: docs
// documents of the department, each to the district offices and to
// perDoc-22 schools taken in turn, and replies reports of schools to the
// department, each a document with its version, verification report and
// dispatch. States follow age: most deliveries older than a month are
// done, recent ones mostly open; three documents in ten have a due date
// ten days after arrival; one in 200 was recalled.
func (e *benchEnv) fillDeliveries(docs, perDoc, replies int) {
	e.tb.Helper()
	var schools, districts []int64
	if err := e.db.SelectContext(e.ctx, &schools, `SELECT id FROM units WHERE kind = 'school' ORDER BY id`); err != nil {
		e.tb.Fatal(err)
	}
	if err := e.db.SelectContext(e.ctx, &districts, `SELECT id FROM units WHERE kind = 'district_office' ORDER BY id`); err != nil {
		e.tb.Fatal(err)
	}
	perSchool := perDoc - len(districts)
	if perSchool <= 0 || perSchool > len(schools) {
		e.tb.Fatalf("cannot send to %d schools of %d", perSchool, len(schools))
	}
	dept, admin := e.who("vanthu.sgd"), e.who("admin")
	tx, err := e.db.BeginTxx(e.ctx, nil)
	if err != nil {
		e.tb.Fatal(err)
	}
	defer tx.Rollback()
	exec := func(q string, args ...any) {
		e.tb.Helper()
		if _, err := tx.ExecContext(e.ctx, q, args...); err != nil {
			e.tb.Fatalf("%v\n%s", err, q)
		}
	}
	// The rows are consistent by construction: skipping the foreign-key
	// triggers (superuser only), and building the indexes that back no
	// constraint afterwards, make the fill several times faster.
	exec(`SET LOCAL session_replication_role = replica`)
	exec(`SET LOCAL work_mem = '256MB'`)
	exec(`SET LOCAL maintenance_work_mem = '256MB'`)
	exec(`SET LOCAL jit = off`) // the generating query's estimates are far off
	var indexes []struct {
		Name string `db:"indexname"`
		Def  string `db:"indexdef"`
	}
	err = tx.SelectContext(e.ctx, &indexes, `
		SELECT indexname, indexdef FROM pg_indexes i
		WHERE schemaname = current_schema() AND tablename = 'deliveries'
		  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = format('%I', i.indexname)::regclass)`)
	if err != nil {
		e.tb.Fatal(err)
	}
	for _, ix := range indexes {
		exec(`DROP INDEX ` + pq.QuoteIdentifier(ix.Name))
	}
	// One row per document sent: k numbers it, at is when it arrived.
	exec(`
		CREATE TEMP TABLE bench_sends ON COMMIT DROP AS
		SELECT g AS k, true AS from_dept, $1::bigint AS sender, NULL::bigint AS recipient, $3::bigint AS created_by,
		       now() - ($4::int - g) * (interval '365 days' / $4::int) AS at
		FROM generate_series(1, $4::int) g
		UNION ALL
		SELECT $4::int + r, false, ($6::bigint[])[1 + r % cardinality($6::bigint[])], $1::bigint, $2::bigint,
		       now() - ($5::int - r) * (interval '365 days' / $5::int)
		FROM generate_series(1, $5::int) r`,
		dept.UnitID, admin.UserID, dept.UserID, docs, replies, pq.Array(schools))
	var docBase, dispatchBase int64
	if err := tx.GetContext(e.ctx, &docBase, `SELECT coalesce(max(id), 0) FROM documents`); err != nil {
		e.tb.Fatal(err)
	}
	if err := tx.GetContext(e.ctx, &dispatchBase, `SELECT coalesce(max(id), 0) FROM dispatches`); err != nil {
		e.tb.Fatal(err)
	}
	exec(`
		INSERT INTO documents (id, unit_id, doc_type, number, symbol, title, doc_date, urgency, confidentiality, status,
		                       created_by, created_at, updated_at)
		OVERRIDING SYSTEM VALUE
		SELECT $1 + k, sender, CASE WHEN from_dept THEN 'KH' ELSE 'BC' END, k, CASE WHEN from_dept THEN 'KH-SGDĐT' ELSE 'BC-TN' END,
		       CASE WHEN from_dept THEN 'Kế hoạch triển khai nhiệm vụ năm học, lần ' ELSE 'Báo cáo kết quả thực hiện, lần ' END || k,
		       (at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date, 'thuong', 'thuong', 'issued', created_by, at, at
		FROM bench_sends`, docBase)
	exec(`SELECT setval(pg_get_serial_sequence('documents', 'id'), (SELECT max(id) FROM documents))`)
	exec(`
		INSERT INTO document_versions (document_id, version_no, object_key, sha256, size_bytes, media_type, file_name, created_by, created_at)
		SELECT $1 + k, 1, 'bench/' || k, md5(k::text) || md5((-k)::text), 180000, 'application/pdf', 'van-ban-' || k || '.pdf', created_by, at
		FROM bench_sends`, docBase)
	exec(`
		INSERT INTO verification_reports (document_id, version_no, valid, report, verified_at)
		SELECT $1 + k, 1, true, '{"valid": true}', at FROM bench_sends`, docBase)
	exec(`
		INSERT INTO dispatches (id, document_id, sender_unit_id, kind, version_no, urgency, steering, due_date, created_by, created_at)
		OVERRIDING SYSTEM VALUE
		SELECT $2 + k, $1 + k, sender, 'issue', 1, 'thuong', CASE WHEN from_dept THEN 2 ELSE 3 END,
		       CASE WHEN from_dept AND k % 10 < 3 THEN (at + interval '10 days')::date END, created_by, at
		FROM bench_sends`, docBase, dispatchBase)
	exec(`SELECT setval(pg_get_serial_sequence('dispatches', 'id'), (SELECT max(id) FROM dispatches))`)
	// Deliveries in order of arrival, as Issue would have made them.
	exec(`
		INSERT INTO deliveries (dispatch_id, document_id, sender_unit_id, recipient_unit_id, urgency, due_date, status, recall,
		                        arrived_at, status_at, incoming_year, incoming_number, accepted_at, done_at, removed)
		SELECT $2 + k, $1 + k, sender, recipient, 'thuong', due, st, CASE WHEN gone THEN '15' END,
		       at, CASE WHEN st = '06' THEN at + interval '5 days' WHEN st <> '01' THEN at + interval '2 hours' ELSE at END,
		       CASE WHEN st IN ('03', '04', '05', '06') THEN extract(year FROM at)::int END,
		       CASE WHEN st IN ('03', '04', '05', '06') THEN k END,
		       CASE WHEN st IN ('03', '04', '05', '06') THEN at + interval '2 hours' END,
		       CASE WHEN st = '06' THEN at + interval '5 days' END, gone
		FROM (
			SELECT s.k, s.sender, r.recipient, s.at, s.from_dept AND s.k % 200 = 0 AS gone,
			       CASE WHEN s.from_dept AND s.k % 10 < 3 THEN (s.at + interval '10 days')::date END AS due,
			       CASE WHEN s.at < now() - interval '30 days' THEN
			              CASE WHEN h < 85 THEN '06' WHEN h < 87 THEN '02' WHEN h < 93 THEN '03' WHEN h < 97 THEN '05' ELSE '01' END
			            ELSE
			              CASE WHEN h < 30 THEN '01' WHEN h < 32 THEN '02' WHEN h < 60 THEN '03' WHEN h < 70 THEN '04' WHEN h < 80 THEN '05' ELSE '06' END
			       END AS st
			FROM bench_sends s
			CROSS JOIN LATERAL (
				SELECT unnest($3::bigint[]) AS recipient WHERE s.from_dept
				UNION ALL
				SELECT ($4::bigint[])[1 + (s.k * $5 + j) % cardinality($4::bigint[])] FROM generate_series(0, $5 - 1) j WHERE s.from_dept
				UNION ALL
				SELECT s.recipient WHERE NOT s.from_dept
			) r
			CROSS JOIN LATERAL (SELECT (s.k * 7919 + r.recipient * 104729) % 100 AS h) x
		) sent
		ORDER BY sent.at, sent.recipient`,
		docBase, dispatchBase, pq.Array(districts), pq.Array(schools), perSchool)
	for _, ix := range indexes {
		exec(ix.Def)
	}
	if err := tx.Commit(); err != nil {
		e.tb.Fatal(err)
	}
	for _, t := range []string{"documents", "document_versions", "verification_reports", "dispatches", "deliveries"} {
		if _, err := e.db.ExecContext(e.ctx, `VACUUM (ANALYZE) `+t); err != nil {
			e.tb.Fatal(err)
		}
	}
	var n int
	if err := e.db.GetContext(e.ctx, &n, `SELECT count(*) FROM deliveries`); err != nil {
		e.tb.Fatal(err)
	}
	if want := docs*perDoc + replies; n != want {
		e.tb.Fatalf("filled %d deliveries, want %d", n, want)
	}
}

// explainInbox runs Inbox once on a connection with auto_explain sending
// each plan back as a notice, and returns the plan of the inbox query: the
// plan of the very SQL Inbox builds, with ANALYZE and BUFFERS.
func (e *benchEnv) explainInbox(p auth.Principal, f routing.InboxFilter) string {
	e.tb.Helper()
	c, err := pq.NewConnector(e.url)
	if err != nil {
		e.tb.Fatal(err)
	}
	var mu sync.Mutex
	var plans []string
	conn := pq.ConnectorWithNoticeHandler(c, func(n *pq.Error) {
		mu.Lock()
		defer mu.Unlock()
		if strings.Contains(n.Message, "deliveries dl") {
			plans = append(plans, n.Message)
		}
	})
	db := sqlx.NewDb(sql.OpenDB(conn), "postgres")
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{`LOAD 'auto_explain'`, `SET auto_explain.log_min_duration = 0`, `SET auto_explain.log_analyze = on`,
		`SET auto_explain.log_buffers = on`, `SET auto_explain.log_level = notice`} {
		if _, err := db.ExecContext(e.ctx, q); err != nil {
			return "(no plan: " + err.Error() + ")"
		}
	}
	if _, err := routing.New(db, e.docs, notify.NewStore(db, false)).Inbox(e.ctx, p, f); err != nil {
		e.tb.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return strings.Join(plans, "\n")
}

var buffersRE = regexp.MustCompile(`Buffers: shared((?: [a-z]+=\d+)+)`)

// planBuffers is the number of shared buffers the plan's top node hit or
// read, or -1 if the plan says nothing of buffers.
func planBuffers(plan string) int {
	m := buffersRE.FindStringSubmatch(plan)
	if m == nil {
		return -1
	}
	n := 0
	for _, kv := range strings.Fields(m[1]) {
		k, v, _ := strings.Cut(kv, "=")
		if k == "hit" || k == "read" {
			i, _ := strconv.Atoi(v)
			n += i
		}
	}
	return n
}

// ---------------------------------------------------------------------------
// Numbering under concurrency.

// BenchmarkConcurrentNumbering runs clerks of the department registering
// as fast as they can for a fixed wall time, whatever b.N, and fails unless
// the numbers of the series are exactly 1..n afterwards:
//
//   - secret_50_clerks: 50 clerks, AssignSecretNumber (the numbering path
//     alone: counter, document row, register row, audit entry), for
//     VANBAN_BENCH_NUMBERING_SECONDS (default 10), on a pool of 20
//     connections (DATABASE_MAX_CONNS's default);
//   - signed_8_clerks: 8 clerks, Register of documents the director has
//     signed, with the development keys (number, seal, new version), for
//     half that time.
func BenchmarkConcurrentNumbering(b *testing.B) {
	seconds := 10.0
	if v := os.Getenv("VANBAN_BENCH_NUMBERING_SECONDS"); v != "" {
		s, err := strconv.ParseFloat(v, 64)
		if err != nil || s <= 0 {
			b.Fatalf("VANBAN_BENCH_NUMBERING_SECONDS=%q: want a positive number of seconds", v)
		}
		seconds = s
	}
	wall := time.Duration(seconds * float64(time.Second))

	b.Run("secret_50_clerks", func(b *testing.B) {
		e := newBenchEnv(b, 0, 20)
		clerks := e.newUsers(50, "bench.vanthu", e.who("vanthu.sgd").UnitID, auth.RoleClerk)
		var seq atomic.Int64
		register := func(p auth.Principal) error {
			m := documents.Meta{DocType: "KH", Title: fmt.Sprintf("Kế hoạch mật số %d", seq.Add(1)), Confidentiality: "mat"}
			_, err := e.docs.AssignSecretNumber(e.ctx, p, m, documents.NumberRequest{})
			return err
		}
		e.race(b, clerks, wall, register, nil, documents.SeriesSecret)
	})

	b.Run("signed_8_clerks", func(b *testing.B) {
		e := newBenchEnv(b, 0, 20)
		e.enableSigning()
		owner, director := e.who("vanthu.sgd"), e.who("giamdoc.sgd")
		clerks := e.newUsers(8, "bench.vanthu", owner.UnitID, auth.RoleClerk)

		// Documents signed by the director, made before the clock starts.
		// Time a few registrations alone to size the pool: enough for the
		// whole run if the clerks reach the machine's full parallelism.
		prepare := func() (documents.Document, error) {
			d, err := e.document(owner, 200_000, false)
			if err != nil {
				return d, err
			}
			return e.docs.SignAsPerson(e.ctx, director, d.ID, documents.SignRequest{VersionSHA256: d.Versions[0].SHA256})
		}
		register := func(p auth.Principal, d documents.Document) error {
			_, err := e.docs.AssignNumber(e.ctx, p, d.ID, documents.NumberRequest{VersionSHA256: d.Versions[0].SHA256})
			return err
		}
		const calibration = 4
		var alone time.Duration
		for range calibration {
			d, err := prepare()
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			if err := register(clerks[0], d); err != nil {
				b.Fatal(err)
			}
			alone += time.Since(start)
		}
		perSecond := float64(calibration) / alone.Seconds() * float64(runtime.GOMAXPROCS(0))
		size := int(math.Ceil(perSecond*(wall/2).Seconds()*1.5)) + len(clerks)
		pool := make(chan documents.Document, size)
		var failed atomic.Pointer[error]
		var wg sync.WaitGroup
		var made atomic.Int64
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for made.Add(1) <= int64(size) && failed.Load() == nil {
					d, err := prepare()
					if err != nil {
						failed.Store(&err)
						return
					}
					pool <- d
				}
			})
		}
		wg.Wait()
		if err := failed.Load(); err != nil {
			b.Fatal(*err)
		}
		close(pool)
		b.Logf("%d signed documents prepared (%.0f registrations/s alone × %d CPUs × %s × 1.5)", size, perSecond/float64(runtime.GOMAXPROCS(0)),
			runtime.GOMAXPROCS(0), wall/2)
		e.race(b, clerks, wall/2, nil, func(p auth.Principal) (bool, error) {
			d, ok := <-pool
			if !ok {
				return false, nil
			}
			return true, register(p, d)
		}, documents.SeriesOutgoing)
	})
}

// race has each clerk call do (or next, which may say it has run out of
// work) in a loop until wall has passed, reports the throughput and the
// latency of a registration, and checks the unit's series afterwards.
func (e *benchEnv) race(b *testing.B, clerks []auth.Principal, wall time.Duration,
	do func(auth.Principal) error, next func(auth.Principal) (bool, error), series string) {
	if next == nil {
		next = func(p auth.Principal) (bool, error) { return true, do(p) }
	}
	before := e.seriesNumbers(series, clerks[0].UnitID)
	lat := make([][]float64, len(clerks))
	errs := make([]error, len(clerks))
	var ranOut atomic.Bool
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	deadline := start.Add(wall)
	for i, p := range clerks {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				t := time.Now()
				ok, err := next(p)
				if err != nil {
					errs[i] = err
					return
				}
				if !ok {
					ranOut.Store(true)
					return
				}
				lat[i] = append(lat[i], ms(time.Since(t)))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
	var all []float64
	for _, l := range lat {
		all = append(all, l...)
	}
	n := len(all)
	if n == 0 {
		b.Fatal("no registration completed")
	}
	if ranOut.Load() {
		b.Logf("the prepared documents ran out after %s (of %s): the throughput is over that time", elapsed.Round(time.Millisecond), wall)
	}
	slices.Sort(all)
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(n), "ns/op")
	b.ReportMetric(float64(n)/elapsed.Seconds(), "registrations/s")
	b.ReportMetric(float64(n), "registrations")
	b.ReportMetric(quantile(all, 0.5), "p50-ms")
	b.ReportMetric(quantile(all, 0.99), "p99-ms")

	numbers := e.seriesNumbers(series, clerks[0].UnitID)
	if len(numbers) != len(before)+n {
		b.Fatalf("%d registrations in the %s series, want %d before + %d made", len(numbers), series, len(before), n)
	}
	for i, got := range numbers {
		if got != i+1 {
			b.Fatalf("the %s series is not 1..%d: position %d holds %d (duplicate or gap)", series, len(numbers), i+1, got)
		}
	}
	var mismatched int
	err := e.db.GetContext(e.ctx, &mismatched, `
		SELECT count(*) FROM registrations r JOIN documents d ON d.id = r.document_id
		WHERE r.unit_id = $1 AND r.series = $2 AND d.number IS DISTINCT FROM r.number`, clerks[0].UnitID, series)
	if err != nil {
		b.Fatal(err)
	}
	if mismatched != 0 {
		b.Fatalf("%d documents carry another number than their registration", mismatched)
	}
}

// seriesNumbers lists the numbers a unit gave in a series this year, in order.
func (e *benchEnv) seriesNumbers(series string, unitID int64) []int {
	e.tb.Helper()
	var numbers []int
	err := e.db.SelectContext(e.ctx, &numbers, `
		SELECT number FROM registrations WHERE unit_id = $1 AND series = $2 AND year = $3 ORDER BY number`,
		unitID, series, time.Now().In(domain.VietnamTime).Year())
	if err != nil {
		e.tb.Fatal(err)
	}
	return numbers
}

// ---------------------------------------------------------------------------

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// quantile is the nearest-rank q-quantile of sorted values.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// ---------------------------------------------------------------------------
// The relay's reach on a 3,000-school tree.

// BenchmarkRelayScope times the check that a relay's recipients are within
// the relaying unit's reach (the units under it, or granted), on the demo
// organisation with 3,000 more schools spread over the district offices:
// a district office to its own schools (allowed), to every school
// (refused), the department to every unit, a school to one unit; and the
// list the relay form offers a district office.
func BenchmarkRelayScope(b *testing.B) {
	e := newBenchEnv(b, 3000, 0)
	// A database in service has its statistics; a fresh one has them once
	// autovacuum comes by, which a benchmark does not wait for.
	if _, err := e.db.ExecContext(e.ctx, `ANALYZE units`); err != nil {
		b.Fatal(err)
	}
	q1, dept, school := e.who("vanthu.q1"), e.who("vanthu.sgd"), e.who("vanthu.thcs1")
	ids := func(q string, args ...any) []int64 {
		var out []int64
		if err := e.db.SelectContext(e.ctx, &out, q, args...); err != nil {
			b.Fatal(err)
		}
		return out
	}
	own := ids(`SELECT id FROM units WHERE parent_id = $1`, q1.UnitID)
	schools := ids(`SELECT id FROM units WHERE kind = 'school'`)
	all := ids(`SELECT id FROM units WHERE id <> $1`, dept.UnitID)
	for _, c := range []struct {
		name    string
		unit    int64
		ids     []int64
		outside int
	}{
		{fmt.Sprintf("district_to_own_%d_schools", len(own)), q1.UnitID, own, 0},
		{fmt.Sprintf("district_to_all_%d_schools", len(schools)), q1.UnitID, schools, len(schools) - len(own)},
		{fmt.Sprintf("department_to_all_%d_units", len(all)), dept.UnitID, all, 0},
		{"school_to_one_unit", school.UnitID, own[:1], 1},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				out, err := routing.OutsideReach(e.rt, e.ctx, c.unit, c.ids)
				if err != nil {
					b.Fatal(err)
				}
				if len(out) != c.outside {
					b.Fatalf("%d outside, want %d", len(out), c.outside)
				}
			}
		})
	}
	b.Run("relay_targets_district", func(b *testing.B) {
		for b.Loop() {
			ts, err := e.rt.RelayTargets(e.ctx, q1)
			if err != nil {
				b.Fatal(err)
			}
			if len(ts) != len(own) {
				b.Fatalf("%d targets, want %d", len(ts), len(own))
			}
		}
	})
}
