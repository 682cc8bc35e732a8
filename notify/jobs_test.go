package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/testenv"
)

func TestEnqueue(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	later := time.Now().Add(time.Hour)
	err := Enqueue(ctx, db,
		Job{Kind: "a", Payload: map[string]int{"x": 1}},
		Job{Kind: "b", Payload: json.RawMessage(`{"y":2}`), RunAt: later, MaxAttempts: 3, DedupeKey: "k"},
		Job{Kind: "b", DedupeKey: "k"},
	)
	if err != nil {
		t.Fatal(err)
	}
	js := jobs(t, db)
	if len(js) != 2 {
		t.Fatalf("jobs = %+v", js)
	}
	if js[0].Payload != `{"x": 1}` || js[0].MaxAttempts != 8 || time.Until(js[0].RunAt) > time.Minute {
		t.Errorf("first = %+v", js[0])
	}
	if js[1].Payload != `{"y": 2}` || js[1].MaxAttempts != 3 || js[1].RunAt.Sub(later).Abs() > time.Millisecond {
		t.Errorf("second = %+v", js[1])
	}
	if err := Enqueue(ctx, db, Job{}); err == nil {
		t.Error("a job without a kind was accepted")
	}
}

// Several workers, as in several instances of the service, share many
// jobs: each runs exactly once, and never two at a time.
func TestWorkersRunEachJobOnce(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	const n = 300
	var js []Job
	for i := 0; i < n; i++ {
		js = append(js, Job{Kind: "count", Payload: map[string]int{"i": i}})
	}
	if err := Enqueue(ctx, db, js...); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	runs := map[int]int{}
	running := map[int]bool{}
	var overlaps atomic.Int32
	h := Handler{Run: func(ctx context.Context, payload json.RawMessage) error {
		var p struct{ I int }
		json.Unmarshal(payload, &p)
		mu.Lock()
		if running[p.I] {
			overlaps.Add(1)
		}
		running[p.I] = true
		runs[p.I]++
		mu.Unlock()
		time.Sleep(time.Millisecond)
		mu.Lock()
		running[p.I] = false
		mu.Unlock()
		return nil
	}}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		w := NewWorker(db, fmt.Sprintf("instance-%d", i), map[string]Handler{"count": h}, WorkerOptions{Concurrency: 3, Logger: quiet})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k, err := w.RunOnce(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if k == 0 {
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(runs) != n {
		t.Errorf("%d jobs ran, want %d", len(runs), n)
	}
	for i, c := range runs {
		if c != 1 {
			t.Errorf("job %d ran %d times", i, c)
		}
	}
	if overlaps.Load() != 0 {
		t.Errorf("%d overlapping runs", overlaps.Load())
	}
	if c := count(t, db, `SELECT count(*) FROM jobs WHERE state = 'done' AND attempts = 1 AND finished_at IS NOT NULL`); c != n {
		t.Errorf("%d jobs done once, want %d", c, n)
	}
	if c := count(t, db, `SELECT count(DISTINCT locked_by) FROM jobs`); c < 2 {
		t.Errorf("only %d worker took jobs", c)
	}
}

func TestRetryThenFail(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	if err := Enqueue(ctx, db, Job{Kind: "flaky", MaxAttempts: 3}); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	w := NewWorker(db, "w", map[string]Handler{"flaky": {Run: func(context.Context, json.RawMessage) error {
		return fmt.Errorf("try %d failed", calls.Add(1))
	}}}, WorkerOptions{RetryBase: time.Minute, Logger: quiet})

	runOnce(t, w)
	j := jobs(t, db)[0]
	if j.State != "queued" || j.Attempts != 1 || j.LastError != "try 1 failed" {
		t.Fatalf("after one failure: %+v", j)
	}
	// Back-off of 30 s to 1 min (a minute less jitter of up to half).
	if wait := time.Until(j.RunAt); wait < 25*time.Second || wait > time.Minute {
		t.Errorf("next try in %s", wait)
	}
	if runOnce(t, w) != 0 {
		t.Error("a job ran before its back-off was over")
	}
	makeDue(t, db)
	runOnce(t, w)
	makeDue(t, db)
	runOnce(t, w)
	j = jobs(t, db)[0]
	if j.State != "failed" || j.Attempts != 3 || j.LastError != "try 3 failed" || calls.Load() != 3 {
		t.Errorf("after 3 failures: %+v, %d calls", j, calls.Load())
	}
	makeDue(t, db)
	if runOnce(t, w) != 0 {
		t.Error("a failed job ran again")
	}
}

func TestBackoff(t *testing.T) {
	w := NewWorker(nil, "w", nil, WorkerOptions{RetryBase: 10 * time.Second, RetryMax: time.Hour})
	for _, tc := range []struct {
		attempt int
		max     time.Duration
	}{{1, 10 * time.Second}, {2, 20 * time.Second}, {3, 40 * time.Second}, {9, 2560 * time.Second}, {10, time.Hour}, {60, time.Hour}} {
		for i := 0; i < 50; i++ {
			if d := w.backoff(tc.attempt); d < tc.max/2 || d > tc.max {
				t.Errorf("backoff(%d) = %s, want %s to %s", tc.attempt, d, tc.max/2, tc.max)
			}
		}
	}
}

func TestPermanentAndUncertain(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	Enqueue(ctx, db, Job{Kind: "permanent"}, Job{Kind: "uncertain"}, Job{Kind: "panics"}, Job{Kind: "panics-idem", MaxAttempts: 2})
	fail := func(wrap func(error) error) Handler {
		return Handler{Run: func(context.Context, json.RawMessage) error { return wrap(errors.New("boom")) }}
	}
	panics := func(context.Context, json.RawMessage) error { panic("oops") }
	w := NewWorker(db, "w", map[string]Handler{
		"permanent":   fail(Permanent),
		"uncertain":   fail(Uncertain),
		"panics":      {Run: panics},
		"panics-idem": {Run: panics, Idempotent: true},
	}, WorkerOptions{Logger: quiet})
	runOnce(t, w)
	want := map[string]string{"permanent": "failed", "uncertain": "uncertain", "panics": "uncertain", "panics-idem": "queued"}
	for _, j := range jobs(t, db) {
		if j.State != want[j.Kind] || j.Attempts != 1 || j.LastError == "" {
			t.Errorf("%s: %+v, want state %s", j.Kind, j, want[j.Kind])
		}
	}
}

// A worker that dies leaves its jobs 'running'. Once the lease is over, a
// job of an idempotent handler runs again; any other is never run twice.
func TestExpiredLease(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	Enqueue(ctx, db, Job{Kind: "idem"}, Job{Kind: "once"}, Job{Kind: "idem", MaxAttempts: 1}, Job{Kind: "other"})
	// What a claim by an instance that then died leaves behind.
	db.MustExec(`UPDATE jobs SET state = 'running', attempts = 1, locked_by = 'dead-instance',
		locked_until = now() - interval '1 second'`)
	var idem, once atomic.Int32
	w := NewWorker(db, "alive", map[string]Handler{
		"idem": {Run: func(context.Context, json.RawMessage) error { idem.Add(1); return nil }, Idempotent: true},
		"once": {Run: func(context.Context, json.RawMessage) error { once.Add(1); return nil }},
	}, WorkerOptions{Logger: quiet})
	runOnce(t, w)
	js := jobs(t, db)
	if js[0].State != "done" || js[0].Attempts != 2 || idem.Load() != 1 {
		t.Errorf("idempotent job: %+v, %d runs", js[0], idem.Load())
	}
	if js[1].State != "uncertain" || once.Load() != 0 || !strings.Contains(js[1].LastError, "dead-instance") {
		t.Errorf("job run at most once: %+v, %d runs", js[1], once.Load())
	}
	if js[2].State != "failed" {
		t.Errorf("idempotent job out of attempts: %+v", js[2])
	}
	if js[3].State != "running" {
		t.Errorf("a kind this worker does not know was touched: %+v", js[3])
	}
	makeDue(t, db)
	runOnce(t, w)
	if idem.Load() != 1 || once.Load() != 0 {
		t.Errorf("ran again: %d, %d", idem.Load(), once.Load())
	}
}

// A worker whose lease ran out while its handler was still going, and whose
// job another worker marked uncertain, still records what really happened.
func TestLateOutcomeReplacesGuess(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	Enqueue(ctx, db, Job{Kind: "slow"})
	started, release := make(chan struct{}), make(chan struct{})
	slow := NewWorker(db, "slow", map[string]Handler{"slow": {Run: func(context.Context, json.RawMessage) error {
		close(started)
		<-release
		return nil
	}}}, WorkerOptions{Lease: time.Second, Logger: quiet})
	done := make(chan struct{})
	go func() { defer close(done); slow.RunOnce(ctx) }()
	<-started
	time.Sleep(1200 * time.Millisecond)
	other := NewWorker(db, "other", map[string]Handler{"slow": {Run: func(context.Context, json.RawMessage) error {
		t.Error("the job ran twice")
		return nil
	}}}, WorkerOptions{Logger: quiet})
	runOnce(t, other)
	if j := jobs(t, db)[0]; j.State != "uncertain" {
		t.Errorf("after the lease: %+v", j)
	}
	close(release)
	<-done
	if j := jobs(t, db)[0]; j.State != "done" {
		t.Errorf("after the slow handler finished: %+v", j)
	}
}

// Run starts a job as soon as it is enqueued, through LISTEN/NOTIFY, well
// before its next poll.
func TestRunWakesOnNotify(t *testing.T) {
	db, url := testenv.NewDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{}, 1)
	w := NewWorker(db, "w", map[string]Handler{"ping": {Run: func(context.Context, json.RawMessage) error {
		ran <- struct{}{}
		return nil
	}}}, WorkerOptions{Poll: time.Minute, ListenURL: url, Logger: quiet})
	stopped := make(chan struct{})
	go func() { defer close(stopped); w.Run(ctx) }()
	defer func() { cancel(); <-stopped }()
	// Wait until it listens; from then on a notification is not missed.
	for i := 0; count(t, db, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`) == 0; i++ {
		if i == 100 {
			t.Fatal("the worker does not LISTEN")
		}
		time.Sleep(50 * time.Millisecond)
	}
	tx := db.MustBegin()
	if err := Enqueue(ctx, tx, Job{Kind: "ping"}); err != nil {
		t.Fatal(err)
	}
	tx.Commit()
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("the job did not run within 10 s; the worker polls every minute")
	}
}
