package routing_test

import (
	"bytes"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/registers"
	"github.com/hcm-edu/vanban/routing"
)

// BenchmarkFollowUpRegister100k times the follow-up register of a unit
// that handled 100,000 incoming documents in the year (the figure of issue
// 15): reading it and writing it as CSV, and as PDF. The documents, their
// deliveries and their tasks (a lead section, a handler under it, a
// coordinator for every other one; a third done on time, a third late, a
// third open) are inserted with SQL in bulk.
//
//	go test ./routing -run '^$' -bench FollowUpRegister100k -benchtime 2x
//
// On the 2 shared cores of the development machine (load about 4):
// reading 3.5–4.9 s, the CSV 0.6–1.1 s (31 MB), the PDF 10 s (20 MB).
func BenchmarkFollowUpRegister100k(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("VANBAN_BENCH_FOLLOWUP_N")); err == nil && v > 0 {
		n = v // a smaller unit, to try a change quickly
	}
	e := newBenchEnv(b, 0, 0)
	e.enableSigning()
	clerk, q1clerk, q1lead := e.who("vanthu.sgd"), e.who("vanthu.q1"), e.who("truongphong.q1")
	doc, err := e.document(clerk, 2000, true)
	if err != nil {
		b.Fatal(err)
	}
	res, err := e.rt.Issue(e.ctx, clerk, doc.ID, routing.IssueRequest{Recipients: routing.Recipients{Units: []int64{q1clerk.UnitID}}})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	tx, err := e.db.BeginTxx(e.ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	exec := func(q string, args ...any) {
		b.Helper()
		if _, err := tx.ExecContext(e.ctx, q, args...); err != nil {
			b.Fatalf("%v\n%s", err, q)
		}
	}
	// Consistent by construction: the triggers (foreign keys, the
	// register's rule) are skipped for speed.
	exec(`SET LOCAL session_replication_role = replica`)
	exec(`INSERT INTO sections (unit_id, name, head_user_id) SELECT $1, 'Tổ chuyên môn ' || g, $2 FROM generate_series(1, 5) g`, q1clerk.UnitID, q1lead.UserID)
	exec(`CREATE TEMP TABLE bench_docs ON COMMIT DROP AS
		SELECT g, nextval(pg_get_serial_sequence('documents', 'id')) AS id FROM generate_series(1, $1::int) g`, n)
	exec(`INSERT INTO documents (id, unit_id, doc_type, number, symbol, title, doc_date, urgency, confidentiality, status, created_by)
		OVERRIDING SYSTEM VALUE
		SELECT id, $1, 'CV', 1000 + g, 'SGDĐT-VP', 'Về việc triển khai nhiệm vụ năm học, số thứ tự ' || g, date '2026-01-02' + (g % 300),
		       'thuong', 'thuong', 'issued', $2
		FROM bench_docs`, clerk.UnitID, clerk.UserID)
	exec(`INSERT INTO deliveries (dispatch_id, document_id, sender_unit_id, recipient_unit_id, urgency, status, arrived_at, accepted_at,
		                        incoming_year, incoming_number, directed_by, directed_at, opinion, task_due, done_at)
		SELECT $1, bd.id, $2, $3, 'thuong', CASE WHEN g % 3 = 0 THEN '05' ELSE '06' END,
		       now() - g * interval '3 minutes', now() - g * interval '3 minutes' + interval '1 hour',
		       2026, 1 + g, $4, now() - g * interval '3 minutes' + interval '2 hours', 'Giao tổ chuyên môn chủ trì',
		       (now() - g * interval '3 minutes')::date + 10,
		       CASE WHEN g % 3 = 1 THEN now() - g * interval '3 minutes' + interval '5 days'
		            WHEN g % 3 = 2 THEN now() - g * interval '3 minutes' + interval '15 days' END
		FROM bench_docs bd`, res.DispatchID, clerk.UnitID, q1clerk.UnitID, q1lead.UserID)
	exec(`INSERT INTO delivery_tasks (delivery_id, role, section_id, due_date, state, assigned_by, assigned_at, done_at)
		SELECT dl.id, 'lead', (SELECT min(id) FROM sections WHERE unit_id = $1) + dl.incoming_number % 5, dl.task_due,
		       CASE WHEN dl.done_at IS NULL THEN 'in_progress' ELSE 'done' END, $2, dl.directed_at, dl.done_at
		FROM deliveries dl WHERE dl.recipient_unit_id = $1 AND dl.incoming_number > 1`, q1clerk.UnitID, q1lead.UserID)
	exec(`INSERT INTO delivery_tasks (delivery_id, parent_id, role, user_id, due_date, state, assigned_by, assigned_at, done_at)
		SELECT t.delivery_id, t.id, 'lead', $1, t.due_date - 2, t.state, $2, t.assigned_at + interval '1 hour', t.done_at
		FROM delivery_tasks t WHERE t.role = 'lead' AND t.parent_id IS NULL`, q1clerk.UserID, q1lead.UserID)
	exec(`INSERT INTO delivery_tasks (delivery_id, role, user_id, assigned_by, assigned_at)
		SELECT dl.id, 'coordinate', $2, $3, dl.directed_at
		FROM deliveries dl WHERE dl.recipient_unit_id = $1 AND dl.incoming_number % 2 = 0`, q1clerk.UnitID, q1lead.UserID, q1lead.UserID)
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	if _, err := e.db.ExecContext(e.ctx, `VACUUM ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("filled %d handled deliveries with their tasks in %s", n, time.Since(start).Round(100*time.Millisecond))
	from, to, _ := routing.ParsePeriod("2026-01-01", "2026-12-31", time.Now())

	read := func(b *testing.B) routing.FollowUpData {
		data, err := e.rt.FollowUpRegister(e.ctx, q1clerk, from, to)
		if err != nil {
			b.Fatal(err)
		}
		if len(data.Rows) < n {
			b.Fatalf("%d rows, want %d", len(data.Rows), n)
		}
		return data
	}
	b.Run("csv", func(b *testing.B) {
		var size int
		for b.Loop() {
			t0 := time.Now()
			data := read(b)
			t1 := time.Now()
			var buf bytes.Buffer
			if err := registers.WriteFollowUpCSV(&buf, data.Rows); err != nil {
				b.Fatal(err)
			}
			size = buf.Len()
			b.Logf("read %s, CSV %s (%.1f MB)", t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond), float64(size)/1e6)
		}
	})
	b.Run("pdf", func(b *testing.B) {
		for b.Loop() {
			data := read(b)
			t1 := time.Now()
			var buf bytes.Buffer
			h := registers.Header{Organisation: data.Parent, Unit: data.Unit, Period: data.Period(), GeneratedAt: time.Now()}
			if err := registers.FollowUpPDF(&buf, h, data.Rows); err != nil {
				b.Fatal(err)
			}
			b.Logf("PDF %s (%.1f MB)", time.Since(t1).Round(time.Millisecond), float64(buf.Len())/1e6)
		}
	})
}
