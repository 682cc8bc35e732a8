package routing_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/notify"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/routing"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
)

const password = "mật-khẩu-thử-nghiệm-1"

type fixture struct {
	t     *testing.T
	ctx   context.Context
	db    *sqlx.DB
	docs  *documents.Service
	rt    *routing.Service
	users *auth.Service
	units *org.Store
	seq   uint64
}

func newFixture(t *testing.T, schools int) *fixture {
	t.Helper()
	ctx := context.Background()
	db, _ := testenv.NewDB(t)
	users := auth.NewService(db, time.Hour)
	units := org.NewStore(db)
	if _, err := demo.Seed(ctx, units, users, password, schools); err != nil {
		t.Fatal(err)
	}
	blobs, err := storage.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	docs, err := documents.NewService(db, blobs, t.TempDir(), 32<<20)
	if err != nil {
		t.Fatal(err)
	}
	// Documents go out only signed by the person, then by the
	// organisation: the development keys of the demo's signers and clerks.
	if err := demo.EnableDevSigning(ctx, t.TempDir(), users, docs, 64<<20); err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, ctx: ctx, db: db, docs: docs, rt: routing.New(db, docs, notify.NewStore(db, false)), users: users, units: units}
}

// signers are who signs for each demo clerk's unit (demo.SeedSigning).
var signers = map[string]string{"vanthu.sgd": "giamdoc.sgd", "vanthu.q1": "truongphong.q1"}

func (f *fixture) who(username string) auth.Principal {
	f.t.Helper()
	p, err := f.users.PrincipalByUsername(f.ctx, username)
	if err != nil {
		f.t.Fatalf("%s: %v", username, err)
	}
	return p
}

func (f *fixture) unit(code string) org.Unit {
	f.t.Helper()
	u, err := f.units.GetByCode(f.ctx, code)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

// document uploads a draft of p's unit, a clerk's. With registered set
// ("yes", or the number the test once typed) it goes the real way to be
// ready to issue: the unit's signer signs it, then p registers it, which
// gives the next number of the register and the organisation's signature.
func (f *fixture) document(p auth.Principal, registered string, confidentiality string) documents.Document {
	f.t.Helper()
	d := f.draft(p, confidentiality)
	if registered == "" {
		return d
	}
	return f.register(p, f.sign(p, d))
}

// draft uploads a draft of p's unit.
func (f *fixture) draft(p auth.Principal, confidentiality string) documents.Document {
	f.t.Helper()
	f.seq++
	up, err := f.docs.Spool(f.ctx, bytes.NewReader(testenv.PDF(2000, f.seq)), "Kế hoạch.pdf")
	if err != nil {
		f.t.Fatal(err)
	}
	defer up.Close()
	m := documents.Meta{DocType: "KH", Title: fmt.Sprintf("Kế hoạch thử nghiệm %d", f.seq), DocDate: "2026-11-20",
		Confidentiality: confidentiality}
	d, err := f.docs.Create(f.ctx, p, m, up)
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

// sign has the signer of clerk's unit sign d.
func (f *fixture) sign(clerk auth.Principal, d documents.Document) documents.Document {
	f.t.Helper()
	d, err := f.docs.SignAsPerson(f.ctx, f.who(signers[clerk.Username]), d.ID, documents.SignRequest{VersionSHA256: d.Versions[0].SHA256})
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

// register has clerk register d: the next number, the organisation's signature.
func (f *fixture) register(clerk auth.Principal, d documents.Document) documents.Document {
	f.t.Helper()
	d, err := f.docs.AssignNumber(f.ctx, clerk, d.ID, documents.NumberRequest{VersionSHA256: d.Versions[0].SHA256})
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

func (f *fixture) issue(p auth.Principal, docID int64, r routing.Recipients, due string) routing.IssueResult {
	f.t.Helper()
	res, err := f.rt.Issue(f.ctx, p, docID, routing.IssueRequest{Recipients: r, DueDate: due, Steering: routing.SteeringDirective})
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

// inboxOf returns the delivery of the document in p's inbox, or fails.
func (f *fixture) inboxOf(p auth.Principal, docID int64) routing.Delivery {
	f.t.Helper()
	page, err := f.rt.Inbox(f.ctx, p, routing.InboxFilter{Limit: 200})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, d := range page.Items {
		if d.DocumentID == docID {
			return d
		}
	}
	f.t.Fatalf("document %d is not in the inbox of %s", docID, p.Username)
	return routing.Delivery{}
}

func wantState(t *testing.T, err error, current string) {
	t.Helper()
	var se *routing.StateError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v, want a StateError from %s", err, current)
	}
	if se.Current != current {
		t.Fatalf("current state = %s, want %s", se.Current, current)
	}
}

func TestWholeLifeCycle(t *testing.T) {
	f := newFixture(t, 0)
	clerk := f.who("vanthu.sgd")
	doc := f.document(clerk, "207", "thuong")
	res := f.issue(clerk, doc.ID, routing.Recipients{Groups: []string{"district_offices"}, Units: []int64{f.unit("001.00.24.H29").ID}}, "2026-12-31")
	if res.Delivered != 23 {
		t.Fatalf("delivered = %d, want 22 district offices and one school", res.Delivered)
	}

	q1clerk, q1lead := f.who("vanthu.q1"), f.who("truongphong.q1")
	d := f.inboxOf(q1clerk, doc.ID)
	if d.Status != routing.Arrived || d.SenderName == "" || d.DueDateText != "2026-12-31" {
		t.Fatalf("arrived delivery = %+v", d)
	}
	// Illegal moves: done or assigned before accepted.
	_, err := f.rt.UpdateStatus(f.ctx, q1clerk, d.ID, routing.StatusRequest{Status: routing.Done})
	wantState(t, err, "01")
	_, err = f.rt.Assign(f.ctx, q1lead, d.ID, routing.AssignRequest{AssigneeID: q1clerk.UserID})
	wantState(t, err, "01")

	acc, err := f.rt.Accept(f.ctx, q1clerk, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if acc.Status != routing.Accepted || acc.IncomingNumber == nil || *acc.IncomingNumber != 1 {
		t.Fatalf("accepted = %+v", acc)
	}
	_, err = f.rt.Accept(f.ctx, q1clerk, d.ID)
	wantState(t, err, "03")

	// Only a leader assigns, to a person of the unit.
	if _, err := f.rt.Assign(f.ctx, q1clerk, d.ID, routing.AssignRequest{AssigneeID: q1clerk.UserID}); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("a clerk assigning: %v", err)
	}
	var ve *domain.ValidationError
	if _, err := f.rt.Assign(f.ctx, q1lead, d.ID, routing.AssignRequest{AssigneeID: clerk.UserID}); !errors.As(err, &ve) {
		t.Fatalf("assigning to another unit's user: %v", err)
	}
	as, err := f.rt.Assign(f.ctx, q1lead, d.ID, routing.AssignRequest{AssigneeID: q1clerk.UserID, Section: "Tổ văn phòng", Due: "2026-12-20", Opinion: "Triển khai ngay"})
	if err != nil {
		t.Fatal(err)
	}
	if as.Status != routing.Assigned || as.TaskDueText != "2026-12-20" || as.AssigneeName != q1clerk.FullName {
		t.Fatalf("assigned = %+v", as)
	}
	if _, err := f.rt.UpdateStatus(f.ctx, q1clerk, d.ID, routing.StatusRequest{Status: routing.InProgress}); err != nil {
		t.Fatal(err)
	}
	// The answer is a document of the school's own unit.
	reply := f.document(q1clerk, "", "thuong")
	if _, err := f.rt.UpdateStatus(f.ctx, q1clerk, d.ID, routing.StatusRequest{Status: routing.Done, ResponseID: doc.ID}); !errors.As(err, &ve) {
		t.Fatalf("answering with the sender's document: %v", err)
	}
	done, err := f.rt.UpdateStatus(f.ctx, q1clerk, d.ID, routing.StatusRequest{Status: routing.Done, ResponseID: reply.ID})
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != routing.Done || done.ResponseDocID == nil || *done.ResponseDocID != reply.ID {
		t.Fatalf("done = %+v", done)
	}

	// The sender's board.
	board, err := f.rt.Deliveries(f.ctx, clerk, doc.ID, routing.BoardFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if board.Summary.Total != 23 || board.Summary.ByStatus["06"] != 1 || board.Summary.ByStatus["01"] != 22 || board.Summary.Accepted != 1 {
		t.Fatalf("summary = %+v", board.Summary)
	}
	var q1row routing.Delivery
	for _, r := range board.Items {
		if r.ID == d.ID {
			q1row = r
		}
	}
	if q1row.Status != routing.Done || q1row.StatusByName != q1clerk.FullName {
		t.Fatalf("board row = %+v", q1row)
	}
	// A recipient sees no board.
	if _, err := f.rt.Deliveries(f.ctx, q1clerk, doc.ID, routing.BoardFilter{}); err != nil {
		t.Fatal(err) // it can see the document...
	} else if b, _ := f.rt.Deliveries(f.ctx, q1clerk, doc.ID, routing.BoardFilter{}); b.Summary.Total != 0 {
		t.Fatalf("a recipient sees %d deliveries of the sender", b.Summary.Total) // ...but no one else's delivery
	}

	// The audit chain holds every step and checks out.
	n, err := audit.Check(f.ctx, f.db)
	if err != nil || n != 10 { // create, sign, seal, register, issue, accept, assign, 05, the reply's create, 06
		t.Fatalf("audit: %d entries, %v", n, err)
	}
	hist, err := f.rt.History(f.ctx, q1clerk, doc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range hist {
		actions = append(actions, e.Action)
	}
	want := []string{"delivery.accept", "delivery.assign", "delivery.status.05", "delivery.status.06"}
	if fmt.Sprint(actions) != fmt.Sprint(want) {
		t.Fatalf("a recipient's history = %v, want %v (only its own delivery)", actions, want)
	}
}

func TestRefuseAndRecall(t *testing.T) {
	f := newFixture(t, 0)
	clerk := f.who("vanthu.sgd")
	thpt, thcs := f.who("vanthu.thpt1"), f.who("vanthu.thcs1")
	doc := f.document(clerk, "208", "thuong")
	f.issue(clerk, doc.ID, routing.Recipients{Groups: []string{"schools"}}, "")

	d := f.inboxOf(thcs, doc.ID)
	var ve *domain.ValidationError
	if _, err := f.rt.Refuse(f.ctx, thcs, d.ID, " "); !errors.As(err, &ve) || ve.Fields["reason"] == "" {
		t.Fatalf("refusing without a reason: %v", err)
	}
	ref, err := f.rt.Refuse(f.ctx, thcs, d.ID, "Gửi nhầm đơn vị")
	if err != nil || ref.Status != routing.Refused || ref.Reason != "Gửi nhầm đơn vị" {
		t.Fatalf("refuse: %+v %v", ref, err)
	}
	_, err = f.rt.Accept(f.ctx, thcs, d.ID)
	wantState(t, err, "02")

	dt := f.inboxOf(thpt, doc.ID)
	if _, err := f.rt.Accept(f.ctx, thpt, dt.ID); err != nil {
		t.Fatal(err)
	}
	n, err := f.rt.Recall(f.ctx, clerk, doc.ID, "Sai nội dung mục 3")
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 { // four schools, one refused
		t.Fatalf("recalled %d deliveries, want 3", n)
	}
	if _, err := f.rt.Recall(f.ctx, clerk, doc.ID, "lần nữa"); err == nil {
		t.Fatal("a second recall succeeded")
	}
	// A recall pending blocks other moves; accepting it removes the
	// document from the inbox and from the unit's sight, leaving a trace.
	_, err = f.rt.Assign(f.ctx, f.who("vanthu.thpt1"), dt.ID, routing.AssignRequest{AssigneeID: thpt.UserID})
	if !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("assign by a clerk: %v", err)
	}
	ans, err := f.rt.AnswerRecall(f.ctx, thpt, dt.ID, true, "")
	if err != nil || !ans.Removed || *ans.Recall != routing.RecallAccepted {
		t.Fatalf("answer: %+v %v", ans, err)
	}
	page, _ := f.rt.Inbox(f.ctx, thpt, routing.InboxFilter{})
	for _, it := range page.Items {
		if it.DocumentID == doc.ID {
			t.Fatal("a recalled document stays in the inbox")
		}
	}
	trace, _ := f.rt.Inbox(f.ctx, thpt, routing.InboxFilter{Removed: true})
	if len(trace.Items) != 1 || trace.Items[0].DocumentID != doc.ID {
		t.Fatalf("the trace of the recall = %+v", trace.Items)
	}
	if _, err := f.docs.Get(f.ctx, thpt, doc.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the recalled document is still readable by the school: %v", err)
	}
	_, err = f.rt.AnswerRecall(f.ctx, thpt, dt.ID, true, "")
	wantState(t, err, "03/15")
	_, err = f.rt.Accept(f.ctx, thpt, dt.ID)
	wantState(t, err, "03/15")

	// Another school refuses the recall, with a reason, and keeps it.
	th := f.unit("002.01.24.H29")
	if _, err := f.users.CreateUser(f.ctx, auth.NewUser{Username: "vanthu.th", FullName: "Lý Thị Mai", UnitID: th.ID,
		Roles: []string{auth.RoleClerk}, Password: password}); err != nil {
		t.Fatal(err)
	}
	thClerk := f.who("vanthu.th")
	dth := f.inboxOf(thClerk, doc.ID)
	if *dth.Recall != routing.RecallRequested {
		t.Fatalf("recall state = %v", *dth.Recall)
	}
	if _, err := f.rt.AnswerRecall(f.ctx, thClerk, dth.ID, false, ""); !errors.As(err, &ve) {
		t.Fatalf("refusing a recall without a reason: %v", err)
	}
	kept, err := f.rt.AnswerRecall(f.ctx, thClerk, dth.ID, false, "Đã triển khai cho giáo viên")
	if err != nil || kept.Removed || *kept.Recall != routing.RecallRefused {
		t.Fatalf("refuse recall: %+v %v", kept, err)
	}
	board, err := f.rt.Deliveries(f.ctx, clerk, doc.ID, routing.BoardFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if board.Summary.ByStatus["15"] != 1 || board.Summary.ByStatus["16"] != 1 || board.Summary.RecallPending != 1 {
		t.Fatalf("board after recall answers = %+v", board.Summary)
	}
}

func TestAccessMatrix(t *testing.T) {
	// Who may do what: a matrix of roles x operations, checked in the
	// domain layer. Outsiders get ErrNotFound, never a hint.
	f := newFixture(t, 0)
	sender := f.who("vanthu.sgd")
	doc := f.document(sender, "209", "thuong")
	f.issue(sender, doc.ID, routing.Recipients{Units: []int64{f.unit("001.01.24.H29").ID}}, "")
	thcs := f.who("vanthu.thcs1")
	d := f.inboxOf(thcs, doc.ID)

	type op struct {
		name string
		run  func(p auth.Principal) error
	}
	ops := []op{
		{"getDelivery", func(p auth.Principal) error { _, err := f.rt.Delivery(f.ctx, p, d.ID); return err }},
		{"accept", func(p auth.Principal) error { _, err := f.rt.Accept(f.ctx, p, d.ID); return err }},
		{"refuse", func(p auth.Principal) error { _, err := f.rt.Refuse(f.ctx, p, d.ID, "không đúng"); return err }},
		{"assign", func(p auth.Principal) error {
			_, err := f.rt.Assign(f.ctx, p, d.ID, routing.AssignRequest{AssigneeID: p.UserID})
			return err
		}},
		{"relay", func(p auth.Principal) error {
			_, err := f.rt.Relay(f.ctx, p, d.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{"schools"}}})
			return err
		}},
		{"answerRecall", func(p auth.Principal) error { _, err := f.rt.AnswerRecall(f.ctx, p, d.ID, true, ""); return err }},
		{"issue", func(p auth.Principal) error {
			_, err := f.rt.Issue(f.ctx, p, doc.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{"schools"}}})
			return err
		}},
		{"recall", func(p auth.Principal) error { _, err := f.rt.Recall(f.ctx, p, doc.ID, "thử quyền"); return err }},
		{"board", func(p auth.Principal) error {
			b, err := f.rt.Deliveries(f.ctx, p, doc.ID, routing.BoardFilter{})
			if err == nil && b.Summary.Total == 0 {
				return errNothing
			}
			return err
		}},
		{"history", func(p auth.Principal) error { _, err := f.rt.History(f.ctx, p, doc.ID); return err }},
	}
	// Expected outcome per user: "ok", "403" (may see, may not do), "404"
	// (may not see), or "409" (allowed, but not in this state).
	type row struct {
		user string
		want map[string]string
	}
	rows := []row{
		// A school that did not receive it sees nothing at all.
		{"vanthu.thpt1", map[string]string{"getDelivery": "404", "accept": "404", "refuse": "404", "assign": "404",
			"relay": "404", "answerRecall": "404", "issue": "404", "recall": "404", "board": "404", "history": "404"}},
		// The district office of Quận 1 neither.
		{"truongphong.q1", map[string]string{"getDelivery": "404", "accept": "404", "refuse": "404", "assign": "404",
			"relay": "404", "answerRecall": "404", "issue": "404", "recall": "404", "board": "404", "history": "404"}},
		// The department's staff member sees the document, may not send it.
		{"chuyenvien.sgd", map[string]string{"getDelivery": "404", "accept": "404", "refuse": "404", "assign": "404",
			"relay": "404", "answerRecall": "404", "issue": "403", "recall": "403", "board": "ok", "history": "ok"}},
		// The recipient's clerk: acts on its delivery, not as the sender.
		{"vanthu.thcs1", map[string]string{"getDelivery": "ok", "assign": "403", "relay": "409",
			"answerRecall": "409", "issue": "403", "recall": "403", "board": "nothing", "history": "ok"}},
	}
	for _, r := range rows {
		p := f.who(r.user)
		for _, o := range ops {
			want, ok := r.want[o.name]
			if !ok {
				continue
			}
			got := outcome(o.run(p))
			if got != want {
				t.Errorf("%s %s: got %s, want %s", r.user, o.name, got, want)
			}
		}
	}
}

var errNothing = errors.New("nothing")

func outcome(err error) string {
	var se *routing.StateError
	var pe *domain.PreconditionError
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, errNothing):
		return "nothing"
	case errors.Is(err, domain.ErrNotFound):
		return "404"
	case errors.Is(err, domain.ErrForbidden):
		return "403"
	case errors.As(err, &se), errors.As(err, &pe):
		return "409"
	}
	return err.Error()
}

func TestSecretDocumentsNeverTravel(t *testing.T) {
	f := newFixture(t, 0)
	clerk := f.who("vanthu.sgd")
	// A file of a secret document is refused at upload (the foundation);
	// its number comes from the secret series, for the register only.
	for _, level := range []string{"mat", "toi_mat", "tuyet_mat"} {
		reg, err := f.docs.AssignSecretNumber(f.ctx, clerk, documents.Meta{DocType: "CV", Title: "Về công tác bảo vệ bí mật nhà nước",
			Confidentiality: level}, documents.NumberRequest{DraftingUnit: "VP"})
		if err != nil {
			t.Fatalf("%s: registering a secret document: %v", level, err)
		}
		if reg.Number == nil || *reg.Symbol != "SGDĐT-VP" || len(reg.Versions) != 0 || reg.Confidentiality != level {
			t.Fatalf("%s: registered = %+v (a number, no file)", level, reg)
		}
		_, err = f.rt.Issue(f.ctx, clerk, reg.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{"schools"}}})
		var pe *domain.PreconditionError
		if !errors.As(err, &pe) || pe.Code != "secret" {
			t.Fatalf("%s: issuing a secret document: %v", level, err)
		}
	}
	var n int
	f.db.Get(&n, `SELECT count(*) FROM deliveries`)
	if n != 0 {
		t.Fatalf("%d deliveries of secret documents", n)
	}
	// Secret documents have their own series: 1, 2, 3.
	var numbers []int
	f.db.Select(&numbers, `SELECT number FROM registrations WHERE series = 'secret' ORDER BY number`)
	if fmt.Sprint(numbers) != "[1 2 3]" {
		t.Fatalf("secret series = %v", numbers)
	}
	// The secret path is for secret documents only.
	var ve *domain.ValidationError
	if _, err := f.docs.AssignSecretNumber(f.ctx, clerk, documents.Meta{DocType: "KH", Title: "Kế hoạch", Confidentiality: "thuong"},
		documents.NumberRequest{}); !errors.As(err, &ve) || ve.Fields["confidentiality"] == "" {
		t.Fatalf("an ordinary document through the secret register: %v", err)
	}
	if _, err := f.docs.AssignSecretNumber(f.ctx, f.who("chuyenvien.sgd"), documents.Meta{DocType: "KH", Title: "Kế hoạch", Confidentiality: "mat"},
		documents.NumberRequest{}); !errors.Is(err, domain.ErrForbidden) {
		t.Fatalf("a staff member registering: %v", err)
	}
}

func TestConcurrentNumbersHaveNoDuplicatesOrGaps(t *testing.T) {
	f := newFixture(t, 0)
	clerk := f.who("vanthu.sgd")
	const n = 40
	// Registrations race; every fifth one fails validation after nothing
	// was taken, and must leave no gap.
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			m := documents.Meta{DocType: "KH", Title: fmt.Sprintf("Kế hoạch mật %d", i), Confidentiality: "mat"}
			if i%5 == 4 {
				m.DocType = "XX"
			}
			_, err := f.docs.AssignSecretNumber(f.ctx, clerk, m, documents.NumberRequest{})
			if i%5 == 4 {
				if err == nil {
					err = errors.New("a bad registration succeeded")
				} else {
					err = nil
				}
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var numbers []int
	if err := f.db.Select(&numbers, `SELECT number FROM registrations WHERE unit_id = $1 AND series = 'secret'`, clerk.UnitID); err != nil {
		t.Fatal(err)
	}
	if len(numbers) != n-n/5 {
		t.Fatalf("%d registrations, want %d", len(numbers), n-n/5)
	}
	sort.Ints(numbers)
	for i, got := range numbers {
		if got != i+1 {
			t.Fatalf("numbers = %v: want 1..%d with no duplicate or gap", numbers, len(numbers))
		}
	}
}

func TestIssueIsIdempotent(t *testing.T) {
	f := newFixture(t, 0)
	clerk := f.who("vanthu.sgd")
	doc := f.document(clerk, "210", "thuong")
	req := routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{"schools"}}, IdempotencyKey: "issue-210-a"}
	var wg sync.WaitGroup
	results := make([]routing.IssueResult, 8)
	errs := make([]error, 8)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i], errs[i] = f.rt.Issue(f.ctx, clerk, doc.ID, req)
		}(i)
	}
	wg.Wait()
	firsts := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !r.Replayed {
			firsts++
		}
		if r.DispatchID != results[0].DispatchID || r.Delivered != 4 {
			t.Fatalf("result %d = %+v", i, r)
		}
	}
	if firsts != 1 {
		t.Fatalf("%d requests delivered, want exactly 1", firsts)
	}
	var n int
	f.db.Get(&n, `SELECT count(*) FROM deliveries WHERE document_id = $1`, doc.ID)
	if n != 4 {
		t.Fatalf("%d deliveries, want 4", n)
	}
	req.Note = "khác"
	if _, err := f.rt.Issue(f.ctx, clerk, doc.ID, req); !errors.As(err, new(*routing.IdempotencyError)) {
		t.Fatalf("the same key for another request: %v", err)
	}
}

func TestBadIssueRequests(t *testing.T) {
	f := newFixture(t, 0)
	clerk := f.who("vanthu.sgd")
	doc := f.document(clerk, "211", "thuong")
	unnumbered := f.document(clerk, "", "thuong")
	cases := []struct {
		name  string
		id    int64
		req   routing.IssueRequest
		field string
		code  string
	}{
		{"no recipients", doc.ID, routing.IssueRequest{}, "recipients", ""},
		{"unknown group", doc.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{"everyone"}}}, "recipients", ""},
		{"unknown unit", doc.ID, routing.IssueRequest{Recipients: routing.Recipients{Units: []int64{999999}}}, "recipients", ""},
		{"only itself", doc.ID, routing.IssueRequest{Recipients: routing.Recipients{Units: []int64{clerk.UnitID}}}, "recipients", ""},
		{"past due date", doc.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{"schools"}}, DueDate: "2020-01-01"}, "due_date", ""},
		{"bad due date", doc.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{"schools"}}, DueDate: "31/12/2026"}, "due_date", ""},
		{"bad urgency", doc.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{"schools"}}, Urgency: "rat_gap"}, "urgency", ""},
		{"bad steering", doc.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{"schools"}}, Steering: 7}, "steering", ""},
		{"another unit's saved group", doc.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{"saved:1"}}}, "recipients", ""},
		{"not registered", unnumbered.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{"schools"}}}, "", "not_registered"},
	}
	for _, c := range cases {
		_, err := f.rt.Issue(f.ctx, clerk, c.id, c.req)
		var ve *domain.ValidationError
		var pe *domain.PreconditionError
		switch {
		case c.field != "" && (!errors.As(err, &ve) || ve.Fields[c.field] == ""):
			t.Errorf("%s: err = %v, want a message for %s", c.name, err, c.field)
		case c.code != "" && (!errors.As(err, &pe) || pe.Code != c.code):
			t.Errorf("%s: err = %v, want %s", c.name, err, c.code)
		}
	}
	var n int
	f.db.Get(&n, `SELECT count(*) FROM dispatches`)
	if n != 0 {
		t.Fatalf("bad requests left %d dispatches", n)
	}
}

func TestGroupsAndRelay(t *testing.T) {
	f := newFixture(t, 40)
	clerk := f.who("vanthu.sgd")
	groups, err := f.rt.Groups(f.ctx, clerk)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]routing.Group{}
	for _, g := range groups {
		byID[g.ID] = g
	}
	if byID["district_offices"].Count != 22 || byID["schools"].Count != 44 || byID["schools:thpt"].Count != 11 || byID["offices"].Count != 5 {
		t.Fatalf("groups = %+v", groups)
	}
	q1 := f.unit("000.01.24.H29")
	q1schools := byID[fmt.Sprintf("district:%d", q1.ID)]
	if q1schools.Count < 3 || q1schools.Name != "Các trường thuộc "+q1.Name {
		t.Fatalf("Quận 1's schools = %+v", q1schools)
	}
	saved, err := f.rt.SaveGroup(f.ctx, clerk, "Trường chuyên", []int64{f.unit("001.00.24.H29").ID})
	if err != nil || saved.Count != 1 {
		t.Fatalf("save group: %+v %v", saved, err)
	}

	doc := f.document(clerk, "212", "thuong")
	f.issue(clerk, doc.ID, routing.Recipients{Groups: []string{"district_offices", saved.ID}}, "2026-12-31")
	q1clerk := f.who("vanthu.q1")
	d := f.inboxOf(q1clerk, doc.ID)
	if _, err := f.rt.Relay(f.ctx, q1clerk, d.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{q1schools.ID}}}); err == nil {
		t.Fatal("relayed before accepting")
	}
	if _, err := f.rt.Accept(f.ctx, q1clerk, d.ID); err != nil {
		t.Fatal(err)
	}
	res, err := f.rt.Relay(f.ctx, q1clerk, d.ID, routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{q1schools.ID}}})
	if err != nil || res.Delivered != q1schools.Count {
		t.Fatalf("relay: %+v %v", res, err)
	}
	thcs := f.who("vanthu.thcs1")
	got := f.inboxOf(thcs, doc.ID)
	if got.SenderName != q1.Name || got.DueDateText != "2026-12-31" {
		t.Fatalf("relayed delivery = %+v", got)
	}
	if n, err := f.rt.Relayed(f.ctx, q1clerk, doc.ID); err != nil || n != q1schools.Count {
		t.Fatalf("relayed = %d, %v; want %d", n, err, q1schools.Count)
	}
	if n, _ := f.rt.Relayed(f.ctx, clerk, doc.ID); n != 0 {
		t.Fatalf("the department's own issue counted as a relay: %d", n)
	}
	// The relaying office follows its relay; the department follows its own.
	b, _ := f.rt.Deliveries(f.ctx, q1clerk, doc.ID, routing.BoardFilter{})
	if b.Summary.Total != q1schools.Count {
		t.Fatalf("Quận 1's board has %d rows, want %d", b.Summary.Total, q1schools.Count)
	}
	b, _ = f.rt.Deliveries(f.ctx, clerk, doc.ID, routing.BoardFilter{})
	if b.Summary.Total != 23 {
		t.Fatalf("the department's board has %d rows, want 23", b.Summary.Total)
	}
}

func TestNotificationsOnArrivalAndRefusal(t *testing.T) {
	f := newFixture(t, 0)
	clerk := f.who("vanthu.sgd")
	doc := f.document(clerk, "213", "thuong")
	f.issue(clerk, doc.ID, routing.Recipients{Groups: []string{"schools"}}, "")
	w := notify.NewWorker(f.db, "test", f.rt.Handlers(), notify.WorkerOptions{})
	if _, err := w.RunOnce(f.ctx); err != nil {
		t.Fatal(err)
	}
	store := notify.NewStore(f.db, false)
	thcs := f.who("vanthu.thcs1")
	items, err := store.List(f.ctx, thcs.UserID, 10, 0)
	if err != nil || len(items) != 1 {
		t.Fatalf("notifications = %+v %v", items, err)
	}
	if n, _ := store.Unread(f.ctx, thcs.UserID); n != 1 {
		t.Fatalf("unread = %d", n)
	}
	// Running the job again notifies nobody twice.
	f.db.MustExec(`UPDATE jobs SET state = 'queued', run_at = now() WHERE kind = $1`, routing.JobNotifyDispatch)
	w.RunOnce(f.ctx)
	if n, _ := store.Unread(f.ctx, thcs.UserID); n != 1 {
		t.Fatalf("unread after a rerun = %d", n)
	}
	d := f.inboxOf(thcs, doc.ID)
	if _, err := f.rt.Refuse(f.ctx, thcs, d.ID, "Chữ ký số không hợp lệ"); err != nil {
		t.Fatal(err)
	}
	if n, _ := store.Unread(f.ctx, clerk.UserID); n != 1 {
		t.Fatalf("the sender's clerk has %d unread, want the refusal", n)
	}
}

func TestAuditChainNamesTheFirstBrokenLink(t *testing.T) {
	f := newFixture(t, 0)
	clerk := f.who("vanthu.sgd")
	for i := 0; i < 3; i++ {
		doc := f.document(clerk, fmt.Sprint(300+i), "thuong")
		f.issue(clerk, doc.ID, routing.Recipients{Groups: []string{"schools"}}, "")
	}
	if n, err := audit.Check(f.ctx, f.db); err != nil || n != 15 { // create, sign, seal, register and issue, thrice
		t.Fatalf("check = %d, %v", n, err)
	}
	// An operator with superuser rights edits the second entry behind the
	// trigger's back.
	f.db.MustExec(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_immutable`)
	f.db.MustExec(`UPDATE audit_log SET reason = 'sửa lén' WHERE id = 2`)
	_, err := audit.Check(f.ctx, f.db)
	var bl *audit.BrokenLink
	if !errors.As(err, &bl) || bl.ID != 2 {
		t.Fatalf("after an edit: %v", err)
	}
	f.db.MustExec(`UPDATE audit_log SET reason = '' WHERE id = 2`)
	f.db.MustExec(`DELETE FROM audit_log WHERE id = 2`)
	_, err = audit.Check(f.ctx, f.db)
	if !errors.As(err, &bl) || bl.ID != 2 {
		t.Fatalf("after a deletion: %v", err)
	}
	// The trigger refuses edits in normal operation.
	f.db.MustExec(`ALTER TABLE audit_log ENABLE TRIGGER audit_log_immutable`)
	if _, err := f.db.Exec(`UPDATE audit_log SET reason = 'x' WHERE id = 1`); err == nil {
		t.Fatal("the audit log accepted an UPDATE")
	}
}

func TestDeadlinesCountWorkingDays(t *testing.T) {
	f := newFixture(t, 0)
	clerk := f.who("vanthu.sgd")
	thcs := f.who("vanthu.thcs1")
	// Friday 13 February 2026, before Tết (16–20 February are holidays).
	friday := time.Date(2026, 2, 13, 9, 0, 0, 0, domain.VietnamTime)
	f.rt.SetClock(func() time.Time { return friday })
	doc := f.document(clerk, "214", "thuong")
	f.issue(clerk, doc.ID, routing.Recipients{Units: []int64{f.unit("001.01.24.H29").ID}}, "2026-02-16")
	f.db.MustExec(`UPDATE deliveries SET arrived_at = $1`, friday)

	at := func(now time.Time) routing.Delivery {
		f.rt.SetClock(func() time.Time { return now })
		return f.inboxOf(thcs, doc.ID)
	}
	// Receipt is due by the next working day: Monday 23 February, after Tết.
	if d := at(time.Date(2026, 2, 20, 15, 0, 0, 0, domain.VietnamTime)); d.ReceiptOverdue {
		t.Fatal("receipt overdue during Tết")
	}
	if d := at(time.Date(2026, 2, 24, 8, 0, 0, 0, domain.VietnamTime)); !d.ReceiptOverdue || !d.Overdue {
		t.Fatalf("on 24 February: receipt overdue %v, overdue %v; want both", d.ReceiptOverdue, d.Overdue)
	}
	page, err := f.rt.Inbox(f.ctx, thcs, routing.InboxFilter{Overdue: true})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("overdue filter: %d items, %v", len(page.Items), err)
	}

	// The scan tells the school's clerk once per deadline.
	if err := f.rt.ScanDeadlines(f.ctx); err != nil {
		t.Fatal(err)
	}
	if err := f.rt.ScanDeadlines(f.ctx); err != nil {
		t.Fatal(err)
	}
	store := notify.NewStore(f.db, false)
	items, _ := store.List(f.ctx, thcs.UserID, 10, 0)
	if len(items) != 1 || items[0].Kind != "overdue" {
		t.Fatalf("deadline notifications = %+v", items)
	}
	// Done cases are no longer overdue.
	d := at(time.Date(2026, 2, 24, 8, 0, 0, 0, domain.VietnamTime))
	if _, err := f.rt.Accept(f.ctx, thcs, d.ID); err != nil {
		t.Fatal(err)
	}
	if d := at(time.Date(2026, 2, 24, 9, 0, 0, 0, domain.VietnamTime)); d.ReceiptOverdue {
		t.Fatal("an accepted delivery is still receipt-overdue")
	}
}
