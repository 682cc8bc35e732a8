package meetings

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hcm-edu/vanban/audit"
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/text/unicode/norm"
)

// Ballots are bound to their voters by a hash chain per ballot: vote n
// stores the hash of vote n-1 and its own hash over that link and its
// fields (ballot, seq, voter, choice, time). Changing, removing or
// reordering a vote breaks the chain from there on, and the head hash is
// fixed in the ballot at close and, with the totals, in the global audit
// log, so adding or removing a vote afterwards shows too.
//
// A secret ballot records who voted in the chain and what they chose only
// as +1 on the totals in ballot_tallies, in the same transaction. The
// chain of a secret ballot hashes an empty choice (hashing the real one
// would let anyone with the chain guess it among a few options), and each
// vote rewrites every tally row of the ballot, so that the rows' system
// columns (xmin) name the last vote's transaction for all options alike
// instead of the last voter of each option. What remains, and cannot be
// helped while the vote and its count are one transaction: someone with
// superuser access watching the tables live, reading dead row versions
// before vacuum, or reading the WAL or a statement log (log_statement =
// all) can pair a voter with a choice. That is documented as acceptable:
// the choice is hidden from every user of the service and from anyone
// reading the database at rest after vacuum.

// genesisHash is the previous hash of a ballot's first vote, and the head
// hash of a ballot closed without votes.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// ballotLockClass is the first key of the advisory lock that orders the
// votes of one ballot (the second is the ballot id).
const ballotLockClass = 7215004

var errBallotNotOpen = &domain.PreconditionError{Code: "ballot_not_open",
	Message: "Biểu quyết này không mở (chưa mở hoặc đã kết thúc); kết quả đã kết thúc là cuối cùng"}

var errAlreadyVoted = &domain.PreconditionError{Code: "already_voted",
	Message: "Bạn đã biểu quyết cho nội dung này; mỗi người chỉ biểu quyết một lần"}

// ChainError says where a ballot's record no longer proves its result.
// Seq is the first vote that is missing, altered or out of place; 0 when
// the votes are whole but the head hash or the totals disagree with them.
type ChainError struct {
	BallotID int64
	Seq      int
	Reason   string
}

func (e *ChainError) Error() string {
	if e.Seq == 0 {
		return fmt.Sprintf("meetings: ballot %d does not check: %s", e.BallotID, e.Reason)
	}
	return fmt.Sprintf("meetings: ballot %d: the chain breaks at vote %d: %s", e.BallotID, e.Seq, e.Reason)
}

// voteHash is SHA-256 over the previous hash and the vote's fields, each
// length-prefixed so that no two votes encode alike. choice is empty for
// a secret ballot.
func voteHash(prev string, ballotID int64, seq int, userID int64, choice string, castAt time.Time) string {
	h := sha256.New()
	for _, f := range []string{prev, strconv.FormatInt(ballotID, 10), strconv.Itoa(seq),
		strconv.FormatInt(userID, 10), choice, castAt.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)} {
		fmt.Fprintf(h, "%d:%s;", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ballotRow is a ballot as stored.
type ballotRow struct {
	Ballot
	OptionList pq.StringArray `db:"options"`
	TotalsJSON []byte         `db:"totals"`
}

const ballotColumns = `b.id, b.meeting_id, b.item_id, b.question, b.options, b.secret, b.state,
	b.opened_at, b.closed_at, b.totals, coalesce(b.head_hash, '') AS head_hash`

func (r ballotRow) ballot() (Ballot, error) {
	b := r.Ballot
	b.Options = []string(r.OptionList)
	if len(r.TotalsJSON) > 0 {
		if err := json.Unmarshal(r.TotalsJSON, &b.Totals); err != nil {
			return b, fmt.Errorf("meetings: unable to read the totals of ballot %d: %w", b.ID, err)
		}
	}
	return b, nil
}

func (s *Service) loadBallot(ctx context.Context, q sqlx.QueryerContext, id int64) (Ballot, error) {
	var r ballotRow
	err := sqlx.GetContext(ctx, q, &r, `SELECT `+ballotColumns+` FROM ballots b WHERE b.id = $1`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return Ballot{}, domain.ErrNotFound
	}
	if err != nil {
		return Ballot{}, fmt.Errorf("meetings: unable to fetch ballot: %w", err)
	}
	return r.ballot()
}

// cleanBallotInput checks a ballot's question and options.
func cleanBallotInput(in BallotInput) (BallotInput, error) {
	bad := map[string]string{}
	in.Question = strings.TrimSpace(norm.NFC.String(in.Question))
	switch n := utf8.RuneCountInString(in.Question); {
	case n == 0:
		bad["question"] = "cần nội dung biểu quyết"
	case n > 1000:
		bad["question"] = "nội dung biểu quyết dài tối đa 1000 ký tự"
	}
	opts := in.Options
	if len(opts) == 0 {
		opts = DefaultOptions
	}
	clean := make([]string, 0, len(opts))
	for _, o := range opts {
		o = strings.Join(strings.Fields(norm.NFC.String(o)), " ")
		switch {
		case o == "":
			bad["options"] = "phương án biểu quyết không được để trống"
		case utf8.RuneCountInString(o) > 200:
			bad["options"] = "mỗi phương án dài tối đa 200 ký tự"
		case slices.Contains(clean, o):
			bad["options"] = "các phương án phải khác nhau: «" + o + "» bị lặp"
		}
		clean = append(clean, o)
	}
	if len(clean) < 2 || len(clean) > 20 {
		bad["options"] = "cần từ 2 đến 20 phương án"
	}
	in.Options = clean
	if len(bad) > 0 {
		return in, &domain.ValidationError{Fields: bad}
	}
	return in, nil
}

// OpenBallot creates a ballot and opens it at once. Only the chair may,
// while the meeting is in progress.
func (s *Service) OpenBallot(ctx context.Context, p auth.Principal, meetingID int64, in BallotInput) (Ballot, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Ballot{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	st, err := s.stand(ctx, tx, p, viaMeeting, meetingID, 0)
	if err != nil {
		return Ballot{}, err
	}
	if err := st.allowed(actOpenBallot); err != nil {
		return Ballot{}, err
	}
	in, err = cleanBallotInput(in)
	if err != nil {
		return Ballot{}, err
	}
	if st, err = s.relock(ctx, tx, p, st, true); err != nil {
		return Ballot{}, err
	}
	if err := st.need(actOpenBallot); err != nil {
		return Ballot{}, err
	}
	var itemID *int64
	if in.ItemID != 0 {
		var ok bool
		if err := tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM agenda_items WHERE id = $1 AND meeting_id = $2)`, in.ItemID, meetingID); err != nil {
			return Ballot{}, fmt.Errorf("meetings: unable to check agenda item: %w", err)
		}
		if !ok {
			return Ballot{}, &domain.ValidationError{Fields: map[string]string{"item_id": "mục chương trình không thuộc cuộc họp này"}}
		}
		itemID = &in.ItemID
	}
	var id int64
	err = tx.GetContext(ctx, &id, `
		INSERT INTO ballots (meeting_id, item_id, question, options, secret, state, opened_at, created_by)
		VALUES ($1, $2, $3, $4, $5, 'open', now(), $6)
		RETURNING id`, meetingID, itemID, in.Question, pq.Array(in.Options), in.Secret, p.UserID)
	if err != nil {
		return Ballot{}, fmt.Errorf("meetings: unable to insert ballot: %w", err)
	}
	if in.Secret {
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO ballot_tallies (ballot_id, choice, votes)
			SELECT $1, o, 0 FROM unnest($2::text[]) AS o`, id, pq.Array(in.Options)); err != nil {
			return Ballot{}, fmt.Errorf("meetings: unable to insert tallies: %w", err)
		}
	}
	if err := s.publish(ctx, tx, Event{MeetingID: meetingID, Kind: EventBallot, BallotID: id}); err != nil {
		return Ballot{}, err
	}
	if err := tx.Commit(); err != nil {
		return Ballot{}, fmt.Errorf("meetings: unable to commit: %w", err)
	}
	return s.ballotFor(ctx, p, id)
}

// CastVote records p's choice on an open ballot: once, and only if p is a
// participant who has checked in. It returns the vote's place in the
// ballot's chain.
func (s *Service) CastVote(ctx context.Context, p auth.Principal, ballotID int64, choice string) (Receipt, error) {
	choice = strings.Join(strings.Fields(norm.NFC.String(choice)), " ")
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Receipt{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	st, err := s.stand(ctx, tx, p, viaBallot, ballotID, 0)
	if err != nil {
		return Receipt{}, err
	}
	b, err := s.loadBallot(ctx, tx, ballotID)
	if err != nil {
		return Receipt{}, err
	}
	if b.State != BallotOpen {
		return Receipt{}, errBallotNotOpen
	}
	if err := st.need(actVote); err != nil {
		return Receipt{}, err
	}
	if !slices.Contains(b.Options, choice) {
		return Receipt{}, &domain.ValidationError{Fields: map[string]string{"choice": "hãy chọn một trong các phương án: " + strings.Join(b.Options, "; ")}}
	}

	// From here to the commit, the votes of this ballot go one at a time:
	// each reads the head of the chain and adds the next link. CloseBallot
	// takes the same lock, so no vote lands after the close.
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, ($2::bigint % 2147483647)::int)`, ballotLockClass, ballotID); err != nil {
		return Receipt{}, fmt.Errorf("meetings: unable to lock ballot: %w", err)
	}
	var head struct {
		State  string    `db:"state"`
		Now    time.Time `db:"now"`
		Voted  bool      `db:"voted"`
		Seq    int       `db:"seq"`
		Hash   string    `db:"hash"`
		Secret bool      `db:"secret"`
	}
	err = tx.GetContext(ctx, &head, `
		SELECT b.state, b.secret, clock_timestamp() AS now,
		       EXISTS (SELECT 1 FROM ballot_votes WHERE ballot_id = b.id AND user_id = $2) AS voted,
		       coalesce(v.seq, 0) AS seq, coalesce(v.hash, '') AS hash
		FROM ballots b
		LEFT JOIN LATERAL (SELECT seq, hash FROM ballot_votes WHERE ballot_id = b.id ORDER BY seq DESC LIMIT 1) v ON true
		WHERE b.id = $1`, ballotID, p.UserID)
	if err != nil {
		return Receipt{}, fmt.Errorf("meetings: unable to read the head of the ballot: %w", err)
	}
	switch {
	case head.State != BallotOpen:
		return Receipt{}, errBallotNotOpen
	case head.Voted:
		return Receipt{}, errAlreadyVoted
	}
	prev := head.Hash
	if head.Seq == 0 {
		prev = genesisHash
	}
	r := Receipt{BallotID: ballotID, Seq: head.Seq + 1, CastAt: head.Now.UTC().Truncate(time.Microsecond)}
	hashed, stored := choice, &choice
	if head.Secret {
		hashed, stored = "", nil
	}
	r.Hash = voteHash(prev, ballotID, r.Seq, p.UserID, hashed, r.CastAt)
	_, err = tx.ExecContext(ctx, `
		INSERT INTO ballot_votes (ballot_id, seq, user_id, choice, cast_at, prev_hash, hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, ballotID, r.Seq, p.UserID, stored, r.CastAt, prev, r.Hash)
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "23505" && pqErr.Constraint == "ballot_votes_pkey" {
		return Receipt{}, errAlreadyVoted
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("meetings: unable to record vote: %w", err)
	}
	if head.Secret {
		// Every row of the ballot is rewritten, not only the chosen one
		// (see the comment at the top of this file).
		var counted int
		err := tx.GetContext(ctx, &counted, `
			WITH u AS (
				UPDATE ballot_tallies SET votes = votes + CASE WHEN choice = $2 THEN 1 ELSE 0 END
				WHERE ballot_id = $1 RETURNING choice)
			SELECT count(*) FROM u WHERE choice = $2`, ballotID, choice)
		if err != nil {
			return Receipt{}, fmt.Errorf("meetings: unable to count vote: %w", err)
		}
		if counted != 1 {
			return Receipt{}, fmt.Errorf("meetings: ballot %d has no tally for its option %q", ballotID, choice)
		}
	}
	if err := s.publish(ctx, tx, Event{MeetingID: b.MeetingID, Kind: EventBallot, BallotID: ballotID}); err != nil {
		return Receipt{}, err
	}
	if err := tx.Commit(); err != nil {
		return Receipt{}, fmt.Errorf("meetings: unable to commit vote: %w", err)
	}
	return r, nil
}

// CloseBallot ends the voting: the totals and the head of the chain are
// stored in the ballot and in the audit log. Only the chair may; a closed
// ballot is final.
func (s *Service) CloseBallot(ctx context.Context, p auth.Principal, ballotID int64) (Ballot, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return Ballot{}, fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	st, err := s.stand(ctx, tx, p, viaBallot, ballotID, 0)
	if err != nil {
		return Ballot{}, err
	}
	if err := st.need(actCloseBallot); err != nil {
		return Ballot{}, err
	}
	var b Ballot
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1, ($2::bigint % 2147483647)::int)`, ballotLockClass, ballotID); err != nil {
		return Ballot{}, fmt.Errorf("meetings: unable to lock ballot: %w", err)
	}
	if b, err = s.loadBallot(ctx, tx, ballotID); err != nil {
		return Ballot{}, err
	}
	if b.State != BallotOpen {
		return Ballot{}, errBallotNotOpen
	}
	// The chain is checked before its head is sealed into the audit log:
	// a ballot whose record was tampered with is not closed as if sound.
	head, votes, err := checkChain(ctx, tx, b)
	if err != nil {
		return Ballot{}, err
	}
	totals, err := countTotals(ctx, tx, b)
	if err != nil {
		return Ballot{}, err
	}
	sum := 0
	for _, n := range totals {
		sum += n
	}
	if sum != votes {
		return Ballot{}, &ChainError{BallotID: ballotID, Reason: fmt.Sprintf("the totals add up to %d but %d people voted", sum, votes)}
	}
	tj, err := json.Marshal(totals)
	if err != nil {
		return Ballot{}, err
	}
	if _, err := tx.ExecContext(ctx, `
		UPDATE ballots SET state = 'closed', closed_at = now(), totals = $2, head_hash = $3 WHERE id = $1`,
		ballotID, tj, head); err != nil {
		return Ballot{}, fmt.Errorf("meetings: unable to close ballot: %w", err)
	}
	if err := s.publish(ctx, tx, Event{MeetingID: b.MeetingID, Kind: EventBallot, BallotID: ballotID}); err != nil {
		return Ballot{}, err
	}
	err = audit.Append(ctx, tx, audit.Event{ActorID: p.UserID, ActorUnitID: p.UnitID, Action: "ballot.close",
		Details: map[string]any{"meeting_id": b.MeetingID, "ballot_id": ballotID, "question": b.Question,
			"secret": b.Secret, "options": b.Options, "totals": totals, "votes": votes, "head_hash": head}})
	if err != nil {
		return Ballot{}, err
	}
	if err := tx.Commit(); err != nil {
		return Ballot{}, fmt.Errorf("meetings: unable to commit: %w", err)
	}
	return s.ballotFor(ctx, p, ballotID)
}

// countTotals counts a ballot's votes per option: from the votes of an
// open ballot, from the tallies of a secret one. Every option is present.
func countTotals(ctx context.Context, q sqlx.QueryerContext, b Ballot) (map[string]int, error) {
	var rows []struct {
		Choice string `db:"choice"`
		Votes  int    `db:"votes"`
	}
	query := `SELECT choice, count(*) AS votes FROM ballot_votes WHERE ballot_id = $1 AND choice IS NOT NULL GROUP BY choice`
	if b.Secret {
		query = `SELECT choice, votes FROM ballot_tallies WHERE ballot_id = $1`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, b.ID); err != nil {
		return nil, fmt.Errorf("meetings: unable to count votes: %w", err)
	}
	totals := make(map[string]int, len(b.Options))
	for _, o := range b.Options {
		totals[o] = 0
	}
	for _, r := range rows {
		if _, ok := totals[r.Choice]; !ok {
			return nil, &ChainError{BallotID: b.ID, Reason: fmt.Sprintf("votes for %q, which is not an option", r.Choice)}
		}
		totals[r.Choice] = r.Votes
	}
	return totals, nil
}

type storedVote struct {
	Seq      int       `db:"seq"`
	UserID   int64     `db:"user_id"`
	Choice   *string   `db:"choice"`
	CastAt   time.Time `db:"cast_at"`
	PrevHash string    `db:"prev_hash"`
	Hash     string    `db:"hash"`
}

// checkChain recomputes a ballot's chain and returns its head hash and
// the number of votes, or a *ChainError naming the first bad vote.
func checkChain(ctx context.Context, q sqlx.QueryerContext, b Ballot) (string, int, error) {
	rows, err := q.QueryxContext(ctx, `
		SELECT seq, user_id, choice, cast_at, prev_hash, hash FROM ballot_votes WHERE ballot_id = $1 ORDER BY seq`, b.ID)
	if err != nil {
		return "", 0, fmt.Errorf("meetings: unable to read votes: %w", err)
	}
	defer rows.Close()
	prev, want := genesisHash, 1
	for rows.Next() {
		var v storedVote
		if err := rows.StructScan(&v); err != nil {
			return "", 0, fmt.Errorf("meetings: unable to read vote: %w", err)
		}
		bad := func(reason string) (string, int, error) {
			return "", 0, &ChainError{BallotID: b.ID, Seq: v.Seq, Reason: reason}
		}
		choice := ""
		switch {
		case v.Seq != want:
			return "", 0, &ChainError{BallotID: b.ID, Seq: want, Reason: fmt.Sprintf("vote %d is missing (next is %d)", want, v.Seq)}
		case v.PrevHash != prev:
			return bad("its link to the previous vote does not match that vote's hash")
		case b.Secret && v.Choice != nil:
			return bad("a secret ballot's vote names a choice")
		case !b.Secret && (v.Choice == nil || !slices.Contains(b.Options, *v.Choice)):
			return bad("its choice is not one of the options")
		case !b.Secret:
			choice = *v.Choice
		}
		if voteHash(v.PrevHash, b.ID, v.Seq, v.UserID, choice, v.CastAt) != v.Hash {
			return bad("its fields do not match its hash (the vote was altered)")
		}
		prev, want = v.Hash, v.Seq+1
	}
	if err := rows.Err(); err != nil {
		return "", 0, fmt.Errorf("meetings: unable to read votes: %w", err)
	}
	return prev, want - 1, nil
}

// VerifyBallot recomputes a ballot's chain from its first vote and, once
// the ballot is closed, compares it with the head hash and the totals
// recorded at close. It returns a *ChainError when they disagree.
func (s *Service) VerifyBallot(ctx context.Context, ballotID int64) error {
	// One snapshot: the votes and the tallies of a ballot still open are
	// read as of the same moment.
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return fmt.Errorf("meetings: unable to begin: %w", err)
	}
	defer tx.Rollback()
	b, err := s.loadBallot(ctx, tx, ballotID)
	if err != nil {
		return err
	}
	head, votes, err := checkChain(ctx, tx, b)
	if err != nil {
		return err
	}
	totals, err := countTotals(ctx, tx, b)
	if err != nil {
		return err
	}
	sum := 0
	for _, n := range totals {
		sum += n
	}
	if sum != votes {
		return &ChainError{BallotID: ballotID, Reason: fmt.Sprintf("the totals add up to %d but %d people voted", sum, votes)}
	}
	if b.State != BallotClosed {
		return nil
	}
	if b.HeadHash != head {
		return &ChainError{BallotID: ballotID, Seq: votes, Reason: "the head hash recorded at close is not the chain's last hash (votes were added or removed after the close)"}
	}
	for _, o := range b.Options {
		if b.Totals[o] != totals[o] {
			return &ChainError{BallotID: ballotID, Reason: fmt.Sprintf("the totals recorded at close give %q %d votes, the record %d", o, b.Totals[o], totals[o])}
		}
	}
	if len(b.Totals) != len(b.Options) {
		return &ChainError{BallotID: ballotID, Reason: "the totals recorded at close name options the ballot does not have"}
	}
	return nil
}

// ballotFor returns one ballot as p sees it.
func (s *Service) ballotFor(ctx context.Context, p auth.Principal, ballotID int64) (Ballot, error) {
	st, err := s.stand(ctx, s.db, p, viaBallot, ballotID, 0)
	if err != nil {
		return Ballot{}, err
	}
	b, err := s.loadBallot(ctx, s.db, ballotID)
	if err != nil {
		return Ballot{}, err
	}
	out := []Ballot{b}
	if err := s.fillBallots(ctx, p, st.Role, out); err != nil {
		return Ballot{}, err
	}
	return out[0], nil
}

// Ballots lists a meeting's ballots, oldest first, with how many have
// voted and whether (and, on open ballots, how) p voted.
func (s *Service) Ballots(ctx context.Context, p auth.Principal, meetingID int64) ([]Ballot, error) {
	role, err := s.access(ctx, s.db, p, meetingID)
	if err != nil {
		return nil, err
	}
	var rows []ballotRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+ballotColumns+` FROM ballots b WHERE b.meeting_id = $1 ORDER BY b.id`, meetingID); err != nil {
		return nil, fmt.Errorf("meetings: unable to list ballots: %w", err)
	}
	out := make([]Ballot, len(rows))
	for i, r := range rows {
		if out[i], err = r.ballot(); err != nil {
			return nil, err
		}
	}
	if err := s.fillBallots(ctx, p, role, out); err != nil {
		return nil, err
	}
	return out, nil
}

// fillBallots adds what depends on the votes and on who asks. Totals are
// shown once a ballot is closed; while it is open, only to the chair and
// only for an open ballot: the running totals of a secret ballot, watched
// beside the count of voters, would tell the chair each vote as it comes.
func (s *Service) fillBallots(ctx context.Context, p auth.Principal, role string, bs []Ballot) error {
	if len(bs) == 0 {
		return nil
	}
	ids := make([]int64, len(bs))
	for i, b := range bs {
		ids[i] = b.ID
	}
	var counts []struct {
		BallotID int64   `db:"ballot_id"`
		Voted    int     `db:"voted"`
		Mine     bool    `db:"mine"`
		MyChoice *string `db:"my_choice"`
	}
	err := s.db.SelectContext(ctx, &counts, `
		SELECT ballot_id, count(*) AS voted, bool_or(user_id = $2) AS mine,
		       max(choice) FILTER (WHERE user_id = $2) AS my_choice
		FROM ballot_votes WHERE ballot_id = ANY($1) GROUP BY ballot_id`, pq.Array(ids), p.UserID)
	if err != nil {
		return fmt.Errorf("meetings: unable to count votes: %w", err)
	}
	for i := range bs {
		b := &bs[i]
		for _, c := range counts {
			if c.BallotID == b.ID {
				b.Voted, b.HaveVoted = c.Voted, c.Mine
				if c.MyChoice != nil {
					b.MyVote = *c.MyChoice
				}
			}
		}
		switch {
		case b.State == BallotClosed:
		case b.State == BallotOpen && role == RoleChair && !b.Secret:
			if b.Totals, err = countTotals(ctx, s.db, *b); err != nil {
				return err
			}
		default:
			b.Totals = nil
		}
	}
	return nil
}

// Results returns a ballot with its record: for an open ballot who voted
// what (while voting goes on, the choices only to the chair), for a
// secret one who voted; and whether the record checks.
func (s *Service) Results(ctx context.Context, p auth.Principal, ballotID int64) (Results, error) {
	b, err := s.ballotFor(ctx, p, ballotID)
	if err != nil {
		return Results{}, err
	}
	role, err := s.access(ctx, s.db, p, b.MeetingID)
	if err != nil {
		return Results{}, err
	}
	res := Results{Ballot: b, Votes: []VoteRecord{}}
	err = s.db.SelectContext(ctx, &res.Votes, `
		SELECT v.seq, v.user_id, u.full_name AS name, coalesce(v.choice, '') AS choice, v.cast_at, v.prev_hash, v.hash
		FROM ballot_votes v JOIN users u ON u.id = v.user_id
		WHERE v.ballot_id = $1 ORDER BY v.seq`, ballotID)
	if err != nil {
		return Results{}, fmt.Errorf("meetings: unable to fetch votes: %w", err)
	}
	if b.State != BallotClosed && role != RoleChair {
		for i := range res.Votes {
			res.Votes[i].Choice = ""
		}
	}
	err = s.VerifyBallot(ctx, ballotID)
	var ce *ChainError
	switch {
	case err == nil:
		res.ChainOK = true
	case errors.As(err, &ce):
	default:
		return Results{}, err
	}
	return res, nil
}
