package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// Job is work to be done later by a Worker, on any instance.
type Job struct {
	Kind        string
	Payload     any       // marshalled to JSON; json.RawMessage as is
	RunAt       time.Time // zero: now
	DedupeKey   string    // if set, a job with the same key is never added again, even once done
	MaxAttempts int       // zero: 8
}

// Enqueue adds jobs, inside the caller's transaction when q is a *sqlx.Tx:
// they become visible to workers, which are woken, when it commits. A job
// whose DedupeKey is already stored is skipped.
func Enqueue(ctx context.Context, q sqlx.ExtContext, jobs ...Job) error {
	if len(jobs) == 0 {
		return nil
	}
	n := len(jobs)
	kinds, payloads, runAts, keys := make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n), make(pq.StringArray, n)
	maxes := make(pq.Int64Array, n)
	for i, j := range jobs {
		if j.Kind == "" || j.MaxAttempts < 0 {
			return fmt.Errorf("notify: job %d needs a kind and a max attempts of 0 or more", i)
		}
		var p []byte
		switch v := j.Payload.(type) {
		case nil:
			p = []byte("{}")
		case json.RawMessage:
			p = v
		default:
			var err error
			if p, err = json.Marshal(v); err != nil {
				return fmt.Errorf("notify: job %d: unable to encode payload: %v", i, err)
			}
		}
		kinds[i], payloads[i], keys[i] = j.Kind, string(p), j.DedupeKey
		if !j.RunAt.IsZero() {
			runAts[i] = j.RunAt.Format(time.RFC3339Nano)
		}
		maxes[i] = int64(j.MaxAttempts)
		if maxes[i] == 0 {
			maxes[i] = 8
		}
	}
	_, err := q.ExecContext(ctx, `
WITH queued AS (
  INSERT INTO jobs (kind, payload, run_at, max_attempts, dedupe_key)
  SELECT kind, payload::jsonb, COALESCE(NULLIF(run_at, '')::timestamptz, now()), max_attempts, NULLIF(dedupe_key, '')
  FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[]) AS t (kind, payload, run_at, max_attempts, dedupe_key)
  ON CONFLICT (dedupe_key) DO NOTHING
  RETURNING id
)
SELECT pg_notify($6, '') FROM (SELECT 1 FROM queued LIMIT 1) AS any_job`,
		kinds, payloads, runAts, maxes, keys, jobsChannel)
	if err != nil {
		return fmt.Errorf("notify: unable to enqueue jobs: %v", err)
	}
	return nil
}

// Handler runs the jobs of one kind. Run gets the job's JSON payload; a
// handler is Idempotent when running a job twice does no harm, and only
// then is a job that was cut off (its instance died) run again.
type Handler struct {
	Run        func(ctx context.Context, payload json.RawMessage) error
	Idempotent bool
}

type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

type uncertainError struct{ err error }

func (e *uncertainError) Error() string { return e.err.Error() }
func (e *uncertainError) Unwrap() error { return e.err }

// Permanent marks a handler's error as final: the job fails without being
// tried again.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// Uncertain marks a handler's error as one after which the work may have
// been done (an e-mail may have been delivered): the job is never tried
// again, and is left in state 'uncertain' for a person to look at.
func Uncertain(err error) error {
	if err == nil {
		return nil
	}
	return &uncertainError{err}
}

func isPermanent(err error) bool { var p *permanentError; return errors.As(err, &p) }
func isUncertain(err error) bool { var u *uncertainError; return errors.As(err, &u) }

// WorkerOptions tune a Worker; zero values take the defaults.
type WorkerOptions struct {
	Concurrency int           // jobs claimed and run at once (default 4)
	Poll        time.Duration // wait between polls when idle (default 1s)
	Lease       time.Duration // how long a claim holds a job; a handler gets 3/4 of it (default 5m)
	RetryBase   time.Duration // back-off after the first failure, doubling after each (default 10s)
	RetryMax    time.Duration // longest back-off (default 1h)
	ListenURL   string        // PostgreSQL URL to LISTEN on, to start new jobs at once; empty: poll only
	Logger      *slog.Logger  // default slog.Default()
}

// shutdownGrace is how long running handlers may go on once the worker's
// context is done: a half-sent e-mail would otherwise end 'uncertain'.
const shutdownGrace = 10 * time.Second

// Worker claims due jobs of the kinds it has handlers for and runs them.
// Any number of workers, in any number of instances, may share a database:
// a claim is a lease committed before the handler runs, so no job runs in
// two places at once.
type Worker struct {
	db         *sqlx.DB
	id         string
	handlers   map[string]Handler
	kinds      pq.StringArray
	idempotent pq.StringArray
	opts       WorkerOptions
	log        *slog.Logger
}

// NewWorker returns a worker named id (recorded as jobs.locked_by; make it
// unique per instance, such as the host name and process id).
func NewWorker(db *sqlx.DB, id string, handlers map[string]Handler, opts WorkerOptions) *Worker {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = 5 * time.Minute
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = 10 * time.Second
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	// Empty, not nil: nil would be NULL, and kind = ANY (NULL) is not false.
	w := &Worker{db: db, id: id, handlers: handlers, kinds: pq.StringArray{}, idempotent: pq.StringArray{},
		opts: opts, log: opts.Logger.With("worker", id)}
	for k, h := range handlers {
		w.kinds = append(w.kinds, k)
		if h.Idempotent {
			w.idempotent = append(w.idempotent, k)
		}
	}
	return w
}

// Run works until ctx is done: it runs due jobs, then waits for a
// notification that jobs were added or for the poll interval.
func (w *Worker) Run(ctx context.Context) {
	var wake <-chan *pq.Notification
	if w.opts.ListenURL != "" {
		l := pq.NewListener(w.opts.ListenURL, time.Second, time.Minute, func(ev pq.ListenerEventType, err error) {
			if err != nil {
				w.log.Warn("notify: job listener", "event", int(ev), "error", err)
			}
		})
		defer l.Close()
		if err := l.Listen(jobsChannel); err != nil {
			w.log.Warn("notify: unable to listen for jobs; polling only", "error", err)
		} else {
			wake = l.Notify
		}
	}
	wait := w.opts.Poll
	for ctx.Err() == nil {
		n, err := w.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			w.log.Error("notify: unable to run jobs", "error", err)
			wait = min(wait*2, 30*time.Second)
		case err == nil:
			wait = w.opts.Poll
		}
		if err == nil && n == w.opts.Concurrency {
			continue // there may be more due
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		case <-wake:
		}
		t.Stop()
	}
}

// claimed is a job as claimed by RunOnce.
type claimed struct {
	ID          int64           `db:"id"`
	Kind        string          `db:"kind"`
	Payload     json.RawMessage `db:"payload"`
	Attempts    int             `db:"attempts"`
	MaxAttempts int             `db:"max_attempts"`
}

// RunOnce releases the jobs whose lease expired, then claims up to
// Concurrency due jobs, runs them and records how each went. It returns how
// many it ran.
func (w *Worker) RunOnce(ctx context.Context) (int, error) {
	if len(w.kinds) == 0 {
		return 0, nil
	}
	if err := w.reap(ctx); err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	// The claim commits on its own before any handler runs. It is not
	// cancelled with ctx: a claim that committed unseen would leave its jobs
	// to expire, and an e-mail never sent would end 'uncertain'.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	var jobs []claimed
	err := w.db.SelectContext(cctx, &jobs, `
WITH due AS (
  SELECT id FROM jobs
  WHERE state = 'queued' AND run_at <= now() AND kind = ANY ($1)
  ORDER BY run_at, id
  LIMIT $2
  FOR UPDATE SKIP LOCKED
)
UPDATE jobs j
SET state = 'running', attempts = j.attempts + 1, locked_by = $3,
    locked_until = now() + make_interval(secs => $4)
FROM due WHERE j.id = due.id
RETURNING j.id, j.kind, j.payload, j.attempts, j.max_attempts`,
		w.kinds, w.opts.Concurrency, w.id, w.opts.Lease.Seconds())
	if err != nil {
		return 0, fmt.Errorf("notify: unable to claim jobs: %v", err)
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.finish(ctx, j, w.run(ctx, j))
		}()
	}
	wg.Wait()
	return len(jobs), nil
}

// reap releases jobs still 'running' after their lease: their worker died
// or lost the database. A job whose handler is idempotent is queued again;
// any other may have had its effect, and is left 'uncertain'.
func (w *Worker) reap(ctx context.Context) error {
	var rows []struct {
		ID    int64  `db:"id"`
		Kind  string `db:"kind"`
		State string `db:"state"`
		By    string `db:"locked_by"`
	}
	err := w.db.SelectContext(ctx, &rows, `
UPDATE jobs SET
  state = CASE WHEN kind <> ALL ($2) THEN 'uncertain'
               WHEN attempts >= max_attempts THEN 'failed'
               ELSE 'queued' END,
  finished_at = CASE WHEN kind <> ALL ($2) OR attempts >= max_attempts THEN now() END,
  locked_until = NULL,
  last_error = 'lease expired while running on ' || locked_by
WHERE state = 'running' AND locked_until < now() AND kind = ANY ($1)
RETURNING id, kind, state, locked_by`, w.kinds, w.idempotent)
	if err != nil {
		return fmt.Errorf("notify: unable to release expired jobs: %v", err)
	}
	for _, r := range rows {
		w.log.Warn("notify: job lease expired", "job_id", r.ID, "kind", r.Kind, "locked_by", r.By, "state", r.State)
	}
	return nil
}

// run calls the job's handler. Once ctx is done the handler has
// shutdownGrace to finish; it never has more than 3/4 of the lease, so it
// ends before another worker may take the job back.
func (w *Worker) run(ctx context.Context, j claimed) (err error) {
	h := w.handlers[j.Kind]
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), w.opts.Lease*3/4)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(shutdownGrace, cancel) })
	defer stop()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
			if !h.Idempotent {
				err = Uncertain(err)
			}
		}
	}()
	return h.Run(hctx, j.Payload)
}

// finish records the outcome of a run. The update is fenced by locked_by
// and attempts: if the lease expired and the job was released meanwhile,
// the outcome still replaces the guess ('uncertain' or queued again), but
// not a later claim's.
func (w *Worker) finish(ctx context.Context, j claimed, runErr error) {
	state, msg, delay := "done", "", time.Duration(0)
	switch {
	case runErr == nil:
	case isUncertain(runErr):
		state, msg = "uncertain", runErr.Error()
	case isPermanent(runErr):
		state, msg = "failed", runErr.Error()
	case j.Attempts >= j.MaxAttempts:
		state, msg = "failed", runErr.Error()
	default:
		state, msg, delay = "queued", runErr.Error(), w.backoff(j.Attempts)
	}
	log := w.log.With("job_id", j.ID, "kind", j.Kind, "attempt", j.Attempts, "state", state)
	switch state {
	case "done":
		log.Debug("notify: job done")
	case "queued":
		log.Warn("notify: job failed; will retry", "error", msg, "retry_in", delay.Round(time.Millisecond).String())
	default:
		log.Error("notify: job failed", "error", msg)
	}
	const q = `
UPDATE jobs SET state = $4, last_error = $5, locked_until = NULL,
  run_at = CASE WHEN $4 = 'queued' THEN now() + make_interval(secs => $6) ELSE run_at END,
  finished_at = CASE WHEN $4 = 'queued' THEN NULL ELSE now() END
WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND state IN ('running', 'queued', 'uncertain')`
	// Record the outcome even when ctx is done; retry briefly, since a lost
	// outcome turns a sent e-mail 'uncertain' once the lease expires.
	for try := 0; ; try++ {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		res, err := w.db.ExecContext(fctx, q, j.ID, w.id, j.Attempts, state, msg, delay.Seconds())
		cancel()
		if err == nil {
			if n, _ := res.RowsAffected(); n == 0 {
				log.Warn("notify: job was taken back before it finished; outcome dropped")
			}
			return
		}
		if try == 2 {
			log.Error("notify: unable to record job outcome; the lease will expire", "error", err)
			return
		}
		time.Sleep(time.Second)
	}
}

// backoff is the wait before the next attempt after attempt n (1-based):
// RetryBase doubled each time, capped at RetryMax, less up to half at random
// so that jobs that failed together do not retry together.
func (w *Worker) backoff(n int) time.Duration {
	d := w.opts.RetryBase
	for i := 1; i < n && d < w.opts.RetryMax; i++ {
		d *= 2
	}
	d = min(d, w.opts.RetryMax)
	return d/2 + rand.N(d/2+1)
}
