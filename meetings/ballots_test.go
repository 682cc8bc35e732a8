package meetings

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/demo"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/testenv"
	"github.com/hcm-edu/vanban/org"
	"github.com/hcm-edu/vanban/storage"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// voteEnv is a meetings Service on a fresh database with the demo
// organisation, optionally with development signing keys.
type voteEnv struct {
	t     *testing.T
	ctx   context.Context
	db    *sqlx.DB
	docs  *documents.Service
	users *auth.Service
	svc   *Service
}

func newVoteEnv(t *testing.T, withSigning bool) *voteEnv {
	t.Helper()
	ctx := context.Background()
	db, _ := testenv.NewDB(t)
	users := auth.NewService(db, time.Hour)
	if _, err := demo.Seed(ctx, org.NewStore(db), users, "Secret-Pass-2026", 0); err != nil {
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
	if withSigning {
		if err := demo.EnableDevSigning(ctx, t.TempDir(), users, docs, 64<<20); err != nil {
			t.Fatal(err)
		}
	}
	return &voteEnv{t: t, ctx: ctx, db: db, docs: docs, users: users, svc: New(db, docs, blobs, NewHub(db, "", nil))}
}

// with is e for a subtest.
func (e *voteEnv) with(t *testing.T) *voteEnv {
	c := *e
	c.t = t
	return &c
}

type voteCase struct {
	name string
	run  func(*testing.T, *voteEnv)
}

// runCases runs cases as subtests on one database (each case makes its own
// meetings): setting up the demo organisation costs more than most cases.
func runCases(t *testing.T, e *voteEnv, cases []voteCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, e.with(t)) })
	}
}

func TestBallots(t *testing.T) {
	runCases(t, newVoteEnv(t, false), []voteCase{
		{"open, vote, close", testBallotOpenVoteClose},
		{"secret", testSecretBallot},
		{"300 at once", testConcurrentVotes},
		{"each twice at once", testConcurrentDoubleVotes},
		{"tampering shows", testBallotTamperingShows},
	})
}

func (e *voteEnv) who(username string) auth.Principal {
	e.t.Helper()
	p, err := e.users.PrincipalByUsername(e.ctx, username)
	if err != nil {
		e.t.Fatalf("%s: %v", username, err)
	}
	return p
}

// meeting creates a meeting organised by organiser's unit, chaired and
// minuted as given, and starts it unless scheduled is set.
func (e *voteEnv) meeting(organiser, chair, secretary auth.Principal, started bool) Meeting {
	e.t.Helper()
	start := time.Now().Add(-15 * time.Minute).Truncate(time.Minute)
	m, err := e.svc.Create(e.ctx, organiser, Input{Title: "Họp giao ban tháng 11 về chuyển đổi số", StartsAt: start,
		EndsAt: start.Add(2 * time.Hour), Place: "Phòng họp số 1, 66-68 Lê Thánh Tôn", ChairID: chair.UserID, SecretaryID: secretary.UserID})
	if err != nil {
		e.t.Fatal(err)
	}
	if started {
		if m, err = e.svc.Update(e.ctx, chair, m.ID, Input{Status: StatusInProgress}); err != nil {
			e.t.Fatal(err)
		}
	}
	return m
}

// voters adds n people of unitID to the meeting as participants, checked
// in.
func (e *voteEnv) voters(meetingID, unitID int64, n int, addedBy auth.Principal) []auth.Principal {
	e.t.Helper()
	var ps []auth.Principal
	err := e.db.SelectContext(e.ctx, &ps, `
		INSERT INTO users (username, full_name, position, unit_id, roles, password_hash)
		SELECT format('voter%s.%s', $3::bigint, g), format('Đại biểu %s', g), 'Chuyên viên', $1, '{staff}', 'x'
		FROM generate_series(1, $2) g
		RETURNING id, username, full_name, position, unit_id, '' AS unit_name, roles`, unitID, n, meetingID)
	if err != nil {
		e.t.Fatal(err)
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.UserID
	}
	if _, err := e.db.ExecContext(e.ctx, `
		INSERT INTO meeting_participants (meeting_id, user_id, added_by) SELECT $1, u, $2 FROM unnest($3::bigint[]) u`,
		meetingID, addedBy.UserID, pq.Array(ids)); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.db.ExecContext(e.ctx, `
		INSERT INTO meeting_attendance (meeting_id, user_id) SELECT $1, u FROM unnest($2::bigint[]) u`,
		meetingID, pq.Array(ids)); err != nil {
		e.t.Fatal(err)
	}
	return ps
}

func (e *voteEnv) addParticipant(by auth.Principal, meetingID int64, in ParticipantInput) {
	e.t.Helper()
	if _, err := e.svc.AddParticipant(e.ctx, by, meetingID, in); err != nil {
		e.t.Fatal(err)
	}
}

func (e *voteEnv) checkIn(p auth.Principal, meetingID int64) {
	e.t.Helper()
	if _, err := e.svc.CheckIn(e.ctx, p, meetingID); err != nil {
		e.t.Fatalf("check in %s: %v", p.Username, err)
	}
}

func (e *voteEnv) vote(p auth.Principal, ballotID int64, choice string) Receipt {
	e.t.Helper()
	r, err := e.svc.CastVote(e.ctx, p, ballotID, choice)
	if err != nil {
		e.t.Fatalf("%s votes %q: %v", p.Username, choice, err)
	}
	return r
}

func preconditionCode(err error) string {
	var pe *domain.PreconditionError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

func invalidField(err error, field string) bool {
	var ve *domain.ValidationError
	return errors.As(err, &ve) && ve.Fields[field] != ""
}

func testBallotOpenVoteClose(t *testing.T, e *voteEnv) {
	organiser, chair, secretary := e.who("vanthu.sgd"), e.who("giamdoc.sgd"), e.who("chuyenvien.sgd")
	member, outsider := e.who("truongphong.q1"), e.who("vanthu.thpt1")

	scheduled := e.meeting(organiser, chair, secretary, false)
	if _, err := e.svc.OpenBallot(e.ctx, chair, scheduled.ID, BallotInput{Question: "Thông qua kế hoạch"}); preconditionCode(err) != "meeting_not_in_progress" {
		t.Errorf("ballot on a meeting not started: %v", err)
	}

	m := e.meeting(organiser, chair, secretary, true)
	e.addParticipant(organiser, m.ID, ParticipantInput{UserID: member.UserID})
	item, err := e.svc.AddItem(e.ctx, organiser, m.ID, ItemInput{Title: "Kế hoạch chuyển đổi số năm 2027", Presenter: "Văn phòng Sở"})
	if err != nil {
		t.Fatal(err)
	}

	// Who may open, and what a ballot must hold.
	in := BallotInput{ItemID: item.ID, Question: "Thông qua kế hoạch chuyển đổi số năm 2027"}
	for name, tc := range map[string]struct {
		p    auth.Principal
		want error
	}{
		"organiser": {organiser, domain.ErrForbidden},
		"secretary": {secretary, domain.ErrForbidden},
		"member":    {member, domain.ErrForbidden},
		"outsider":  {outsider, domain.ErrNotFound},
	} {
		if _, err := e.svc.OpenBallot(e.ctx, tc.p, m.ID, in); !errors.Is(err, tc.want) {
			t.Errorf("%s opens a ballot: %v, want %v", name, err, tc.want)
		}
	}
	for name, tc := range map[string]struct {
		in    BallotInput
		field string
	}{
		"no question":     {BallotInput{Question: "  "}, "question"},
		"long question":   {BallotInput{Question: strings.Repeat("ắ", 1001)}, "question"},
		"one option":      {BallotInput{Question: "Chọn", Options: []string{"A"}}, "options"},
		"empty option":    {BallotInput{Question: "Chọn", Options: []string{"A", " "}}, "options"},
		"same options":    {BallotInput{Question: "Chọn", Options: []string{"Phương án A", "Phương  án A"}}, "options"},
		"too many":        {BallotInput{Question: "Chọn", Options: strings.Split("a b c d e f g h i j k l m n o p q r s t u", " ")}, "options"},
		"item of another": {BallotInput{Question: "Chọn", ItemID: item.ID + 1000}, "item_id"},
	} {
		if _, err := e.svc.OpenBallot(e.ctx, chair, m.ID, tc.in); !invalidField(err, tc.field) {
			t.Errorf("%s: %v, want a problem with %s", name, err, tc.field)
		}
	}

	b, err := e.svc.OpenBallot(e.ctx, chair, m.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	if b.State != BallotOpen || b.OpenedAt == nil || len(b.Options) != 3 || b.Options[0] != "Tán thành" || b.ItemID == nil || *b.ItemID != item.ID {
		t.Errorf("opened ballot = %+v", b)
	}

	// Only checked-in participants vote, once, for one of the options.
	if _, err := e.svc.CastVote(e.ctx, member, b.ID, "Tán thành"); preconditionCode(err) != "not_checked_in" {
		t.Errorf("vote before check-in: %v", err)
	}
	if _, err := e.svc.CastVote(e.ctx, outsider, b.ID, "Tán thành"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("outsider votes: %v", err)
	}
	for _, p := range []auth.Principal{member, chair, secretary} {
		e.checkIn(p, m.ID)
	}
	if _, err := e.svc.CastVote(e.ctx, member, b.ID, "Đồng ý"); !invalidField(err, "choice") {
		t.Errorf("vote for no option: %v", err)
	}
	r1 := e.vote(member, b.ID, "Tán thành")
	r2 := e.vote(chair, b.ID, " Tán  thành ")
	if r1.Seq != 1 || r2.Seq != 2 || len(r1.Hash) != 64 || r1.Hash == r2.Hash || r2.CastAt.Before(r1.CastAt) {
		t.Errorf("receipts %+v %+v", r1, r2)
	}
	if _, err := e.svc.CastVote(e.ctx, member, b.ID, "Không tán thành"); preconditionCode(err) != "already_voted" {
		t.Errorf("second vote: %v", err)
	}

	// While open: the count for all, the running totals for the chair only.
	list, err := e.svc.Ballots(e.ctx, member, m.ID)
	if err != nil || len(list) != 1 {
		t.Fatal(list, err)
	}
	if got := list[0]; got.Voted != 2 || !got.HaveVoted || got.MyVote != "Tán thành" || got.Totals != nil {
		t.Errorf("member's view while open: %+v", got)
	}
	list, _ = e.svc.Ballots(e.ctx, secretary, m.ID)
	if got := list[0]; got.HaveVoted || got.MyVote != "" || got.Totals != nil {
		t.Errorf("secretary's view before voting: %+v", got)
	}
	list, _ = e.svc.Ballots(e.ctx, chair, m.ID)
	if got := list[0]; got.Totals["Tán thành"] != 2 || got.Totals["Không tán thành"] != 0 {
		t.Errorf("chair's view while open: %+v", got)
	}
	if res, err := e.svc.Results(e.ctx, member, b.ID); err != nil || len(res.Votes) != 2 || res.Votes[0].Choice != "" || !res.ChainOK {
		t.Errorf("member's results while open: %+v %v", res, err)
	}
	e.vote(secretary, b.ID, "Không biểu quyết")

	if _, err := e.svc.CloseBallot(e.ctx, secretary, b.ID); !errors.Is(err, domain.ErrForbidden) {
		t.Errorf("secretary closes: %v", err)
	}
	closed, err := e.svc.CloseBallot(e.ctx, chair, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"Tán thành": 2, "Không tán thành": 0, "Không biểu quyết": 1}
	if closed.State != BallotClosed || closed.ClosedAt == nil || fmt.Sprint(closed.Totals) != fmt.Sprint(want) || closed.Voted != 3 || len(closed.HeadHash) != 64 {
		t.Errorf("closed = %+v", closed)
	}
	// Final: no more votes, no second close.
	e.checkIn(e.who("vanthu.sgd"), m.ID)
	if _, err := e.svc.CastVote(e.ctx, organiser, b.ID, "Tán thành"); preconditionCode(err) != "ballot_not_open" {
		t.Errorf("vote after close: %v", err)
	}
	if _, err := e.svc.CloseBallot(e.ctx, chair, b.ID); preconditionCode(err) != "ballot_not_open" {
		t.Errorf("second close: %v", err)
	}

	res, err := e.svc.Results(e.ctx, member, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !res.ChainOK || len(res.Votes) != 3 || res.Votes[0].Name != member.FullName || res.Votes[0].Choice != "Tán thành" ||
		res.Votes[2].Choice != "Không biểu quyết" || res.Votes[2].Hash != res.Ballot.HeadHash || res.Votes[1].PrevHash != res.Votes[0].Hash {
		t.Errorf("results = %+v", res)
	}
	if _, err := e.svc.Results(e.ctx, outsider, b.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("outsider reads results: %v", err)
	}

	// The result is in the global audit chain.
	var details string
	if err := e.db.GetContext(e.ctx, &details, `SELECT details FROM audit_log WHERE action = 'ballot.close' AND details::jsonb->>'ballot_id' = $1`, fmt.Sprint(b.ID)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(details, closed.HeadHash) || !strings.Contains(details, `"Tán thành":2`) {
		t.Errorf("audit details = %s", details)
	}
	if _, err := audit.Check(e.ctx, e.db); err != nil {
		t.Error(err)
	}
}

func testSecretBallot(t *testing.T, e *voteEnv) {
	organiser, chair, secretary := e.who("vanthu.sgd"), e.who("giamdoc.sgd"), e.who("chuyenvien.sgd")
	m := e.meeting(organiser, chair, secretary, true)
	people := e.voters(m.ID, chair.UnitID, 5, organiser)
	b, err := e.svc.OpenBallot(e.ctx, chair, m.ID, BallotInput{Question: "Chọn phương án nhân sự", Options: []string{"Phương án A", "Phương án B"}, Secret: true})
	if err != nil {
		t.Fatal(err)
	}
	choices := []string{"Phương án A", "Phương án B", "Phương án A", "Phương án A", "Phương án B"}
	for i, p := range people {
		e.vote(p, b.ID, choices[i])
	}
	// Nothing stored says who chose what.
	var stored int
	e.db.GetContext(e.ctx, &stored, `SELECT count(*) FROM ballot_votes WHERE ballot_id = $1 AND choice IS NOT NULL`, b.ID)
	if stored != 0 {
		t.Errorf("%d secret votes keep their choice", stored)
	}
	// Every tally row was last written by the same transaction: their
	// xmin does not name the last voter of each option.
	var xmins int
	e.db.GetContext(e.ctx, &xmins, `SELECT count(DISTINCT xmin::text) FROM ballot_tallies WHERE ballot_id = $1`, b.ID)
	if xmins != 1 {
		t.Errorf("tally rows carry %d different xmin", xmins)
	}
	// Not even the chair sees running totals of a secret ballot.
	list, _ := e.svc.Ballots(e.ctx, chair, m.ID)
	if list[0].Totals != nil || list[0].Voted != 5 {
		t.Errorf("chair's view of an open secret ballot: %+v", list[0])
	}
	list, _ = e.svc.Ballots(e.ctx, people[0], m.ID)
	if !list[0].HaveVoted || list[0].MyVote != "" {
		t.Errorf("voter's view of a secret ballot: %+v", list[0])
	}
	closed, err := e.svc.CloseBallot(e.ctx, chair, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if closed.Totals["Phương án A"] != 3 || closed.Totals["Phương án B"] != 2 {
		t.Errorf("totals = %v", closed.Totals)
	}
	res, err := e.svc.Results(e.ctx, chair, b.ID)
	if err != nil || !res.ChainOK || len(res.Votes) != 5 {
		t.Fatal(res, err)
	}
	for _, v := range res.Votes {
		if v.Choice != "" {
			t.Errorf("secret vote %d shows %q", v.Seq, v.Choice)
		}
	}
}

// TestConcurrentVotes: 300 people vote at once; each is counted once and
// the chain holds.
func testConcurrentVotes(t *testing.T, e *voteEnv) {
	const n = 300
	for _, secret := range []bool{false, true} {
		t.Run(fmt.Sprintf("secret=%v", secret), func(t *testing.T) {
			e := e.with(t)
			organiser, chair, secretary := e.who("vanthu.sgd"), e.who("giamdoc.sgd"), e.who("chuyenvien.sgd")
			m := e.meeting(organiser, chair, secretary, true)
			people := e.voters(m.ID, chair.UnitID, n, organiser)
			b, err := e.svc.OpenBallot(e.ctx, chair, m.ID, BallotInput{Question: "Thông qua nghị quyết", Secret: secret})
			if err != nil {
				t.Fatal(err)
			}
			start := make(chan struct{})
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for i, p := range people {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, err := e.svc.CastVote(e.ctx, p, b.ID, DefaultOptions[i%3])
					errs <- err
				}()
			}
			began := time.Now()
			close(start)
			wg.Wait()
			took := time.Since(began)
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
			t.Logf("%d concurrent votes (secret=%v) in %v", n, secret, took)
			closed, err := e.svc.CloseBallot(e.ctx, chair, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			sum := 0
			for _, v := range closed.Totals {
				sum += v
			}
			if sum != n || closed.Voted != n || closed.Totals[DefaultOptions[0]] != n/3 {
				t.Errorf("totals %v (sum %d), voted %d, want %d", closed.Totals, sum, closed.Voted, n)
			}
			var seqs struct {
				N, Min, Max int
			}
			e.db.QueryRowxContext(e.ctx, `SELECT count(*), min(seq), max(seq) FROM ballot_votes WHERE ballot_id = $1`, b.ID).Scan(&seqs.N, &seqs.Min, &seqs.Max)
			if seqs.N != n || seqs.Min != 1 || seqs.Max != n {
				t.Errorf("seqs %+v", seqs)
			}
			if err := e.svc.VerifyBallot(e.ctx, b.ID); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestConcurrentDoubleVotes: each person votes twice at once; one of the
// two counts.
func testConcurrentDoubleVotes(t *testing.T, e *voteEnv) {
	const n = 100
	organiser, chair, secretary := e.who("vanthu.sgd"), e.who("giamdoc.sgd"), e.who("chuyenvien.sgd")
	m := e.meeting(organiser, chair, secretary, true)
	people := e.voters(m.ID, chair.UnitID, n, organiser)
	b, err := e.svc.OpenBallot(e.ctx, chair, m.ID, BallotInput{Question: "Thông qua", Secret: true})
	if err != nil {
		t.Fatal(err)
	}
	start := make(chan struct{})
	var mu sync.Mutex
	ok := map[int64]int{}
	var wg sync.WaitGroup
	for _, p := range people {
		for k := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := e.svc.CastVote(e.ctx, p, b.ID, DefaultOptions[k])
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok[p.UserID]++
				case preconditionCode(err) != "already_voted":
					t.Errorf("%s: %v", p.Username, err)
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	for _, p := range people {
		if ok[p.UserID] != 1 {
			t.Errorf("%s: %d votes counted", p.Username, ok[p.UserID])
		}
	}
	closed, err := e.svc.CloseBallot(e.ctx, chair, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if closed.Voted != n || closed.Totals[DefaultOptions[0]]+closed.Totals[DefaultOptions[1]] != n {
		t.Errorf("closed = %+v", closed)
	}
	if err := e.svc.VerifyBallot(e.ctx, b.ID); err != nil {
		t.Error(err)
	}
}

// tamper runs statements as an operator with superuser rights would,
// around the trigger that keeps votes immutable.
func tamper(t *testing.T, db *sqlx.DB, stmts ...string) {
	t.Helper()
	tx := db.MustBegin()
	defer tx.Rollback()
	for _, s := range append(append([]string{`ALTER TABLE ballot_votes DISABLE TRIGGER ballot_votes_immutable`}, stmts...),
		`ALTER TABLE ballot_votes ENABLE TRIGGER ballot_votes_immutable`) {
		if _, err := tx.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func testBallotTamperingShows(t *testing.T, e *voteEnv) {
	organiser, chair, secretary := e.who("vanthu.sgd"), e.who("giamdoc.sgd"), e.who("chuyenvien.sgd")
	m := e.meeting(organiser, chair, secretary, true)
	people := e.voters(m.ID, chair.UnitID, 4, organiser)
	open := func(secret bool) int64 {
		b, err := e.svc.OpenBallot(e.ctx, chair, m.ID, BallotInput{Question: "Thông qua", Secret: secret})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range people {
			e.vote(p, b.ID, "Tán thành")
		}
		if _, err := e.svc.CloseBallot(e.ctx, chair, b.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.VerifyBallot(e.ctx, b.ID); err != nil {
			t.Fatal(err)
		}
		return b.ID
	}
	check := func(id int64, seq int, reason string) {
		t.Helper()
		err := e.svc.VerifyBallot(e.ctx, id)
		var ce *ChainError
		if !errors.As(err, &ce) || ce.Seq != seq || !strings.Contains(ce.Reason, reason) {
			t.Errorf("VerifyBallot = %v, want the chain to break at %d (%s)", err, seq, reason)
		}
		if res, err := e.svc.Results(e.ctx, chair, id); err != nil || res.ChainOK {
			t.Errorf("results of a tampered ballot: chain_ok %v, %v", res.ChainOK, err)
		}
	}

	b := open(false)
	// The immutable trigger stops anyone else.
	if _, err := e.db.ExecContext(e.ctx, `UPDATE ballot_votes SET choice = 'Không tán thành' WHERE ballot_id = $1 AND seq = 2`, b); err == nil {
		t.Fatal("a vote was changed despite the trigger")
	}
	if _, err := e.db.ExecContext(e.ctx, `DELETE FROM ballot_votes WHERE ballot_id = $1`, b); err == nil {
		t.Fatal("votes were deleted despite the trigger")
	}
	tamper(t, e.db, fmt.Sprintf(`UPDATE ballot_votes SET choice = 'Không tán thành' WHERE ballot_id = %d AND seq = 2`, b))
	check(b, 2, "altered")

	b = open(false)
	tamper(t, e.db, fmt.Sprintf(`UPDATE ballot_votes SET user_id = %d WHERE ballot_id = %d AND seq = 3`, secretary.UserID, b))
	check(b, 3, "altered")

	b = open(false)
	tamper(t, e.db, fmt.Sprintf(`DELETE FROM ballot_votes WHERE ballot_id = %d AND seq = 2`, b))
	check(b, 2, "missing")

	b = open(false)
	tamper(t, e.db, fmt.Sprintf(`DELETE FROM ballot_votes WHERE ballot_id = %d AND seq = 4`, b))
	check(b, 3, "head hash") // the chain is whole up to 3, but the ballot closed on 4

	b = open(true)
	if _, err := e.db.ExecContext(e.ctx, `UPDATE ballot_tallies SET votes = votes - 1 WHERE ballot_id = $1 AND choice = 'Tán thành'`, b); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.ExecContext(e.ctx, `UPDATE ballot_tallies SET votes = votes + 1 WHERE ballot_id = $1 AND choice = 'Không tán thành'`, b); err != nil {
		t.Fatal(err)
	}
	check(b, 0, "totals recorded at close")
}
