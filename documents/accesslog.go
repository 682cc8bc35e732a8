package documents

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// accessRow is one read waiting to be written to document_access.
type accessRow struct {
	at         time.Time
	user, unit int64
	doc        int64
	version    int64 // 0: none in particular
	attachment int64 // 0: the document's own file
	kind       string
	request    string
}

// Sizes of the write-behind access log (BatchAccess).
const (
	accessBatchRows  = 200                    // a flush at this many rows
	accessBatchEvery = 200 * time.Millisecond // and at least this often
	accessBufferRows = 10000                  // past this, reads write their row themselves
)

// accessLog writes reads behind, many rows to an INSERT, so that a page
// view does not wait for its own row. Nothing is dropped: when the buffer
// is full the reader writes its row synchronously, a failed flush keeps
// its rows for the next, and Close flushes what is left.
type accessLog struct {
	db     *sqlx.DB
	log    *slog.Logger
	mu     sync.Mutex
	buf    []accessRow
	closed bool       // Close began: readers write their rows themselves
	flush  sync.Mutex // one flush at a time, so rows keep their order
	kick   chan struct{}
	stop   chan struct{}
	done   chan struct{}
}

// BatchAccess makes RecordAccess write behind: rows are kept in memory and
// written every 200 ms, or at 200 rows, by one multi-row INSERT. Call it
// once while wiring up, and Close on shutdown. Readers of the history
// (AccessHistoryPage, AccessStats) flush first, so they see every read.
func (s *Service) BatchAccess(log *slog.Logger) {
	if log == nil {
		log = slog.Default()
	}
	l := &accessLog{db: s.db, log: log, kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if s.log.CompareAndSwap(nil, l) {
		go l.run()
	}
}

// Close writes the reads still waiting (see BatchAccess) and stops the
// writer. The Service keeps working, writing reads at once.
func (s *Service) Close() error {
	l := s.log.Swap(nil)
	if l == nil {
		return nil
	}
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	return l.write(context.Background())
}

// FlushAccess writes the reads waiting to be written, if any.
func (s *Service) FlushAccess(ctx context.Context) error {
	if l := s.log.Load(); l != nil {
		return l.write(ctx)
	}
	return nil
}

func (s *Service) recordAccess(ctx context.Context, r accessRow) error {
	if l := s.log.Load(); l != nil && l.add(r) {
		return nil
	}
	if err := insertAccess(ctx, s.db, []accessRow{r}); err != nil {
		return fmt.Errorf("documents: unable to record the access: %w", err)
	}
	return nil
}

// add buffers r, and says false when the buffer is full.
func (l *accessLog) add(r accessRow) bool {
	l.mu.Lock()
	if l.closed || len(l.buf) >= accessBufferRows {
		l.mu.Unlock()
		return false
	}
	l.buf = append(l.buf, r)
	n := len(l.buf)
	l.mu.Unlock()
	if n >= accessBatchRows {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
	return true
}

func (l *accessLog) run() {
	defer close(l.done)
	t := time.NewTicker(accessBatchEvery)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		case <-l.kick:
		}
		if err := l.write(context.Background()); err != nil {
			l.log.Error("access history: unable to write; kept for the next try", "error", err)
		}
	}
}

// write inserts the buffered rows. On failure they go back to the front of
// the buffer, to be tried again.
func (l *accessLog) write(ctx context.Context) error {
	l.flush.Lock()
	defer l.flush.Unlock()
	l.mu.Lock()
	rows := l.buf
	l.buf = nil
	l.mu.Unlock()
	if len(rows) == 0 {
		return nil
	}
	for i := 0; i < len(rows); i += 1000 {
		end := min(i+1000, len(rows))
		if err := insertAccess(ctx, l.db, rows[i:end]); err != nil {
			l.mu.Lock()
			l.buf = append(rows[i:len(rows):len(rows)], l.buf...)
			l.mu.Unlock()
			return fmt.Errorf("documents: unable to record %d accesses: %w", len(rows)-i, err)
		}
	}
	return nil
}

// insertAccess writes rows with one statement.
func insertAccess(ctx context.Context, db sqlx.ExecerContext, rows []accessRow) error {
	n := len(rows)
	at := make([]string, n)
	user, unit, doc, version, attachment := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	kind, request := make([]string, n), make([]string, n)
	for i, r := range rows {
		at[i] = r.at.UTC().Format(time.RFC3339Nano)
		user[i], unit[i], doc[i], version[i], attachment[i] = r.user, r.unit, r.doc, r.version, r.attachment
		kind[i], request[i] = r.kind, r.request
	}
	_, err := db.ExecContext(ctx, `
		INSERT INTO document_access (at, user_id, unit_id, document_id, version_no, attachment_id, kind, request_id)
		SELECT CAST(a AS timestamptz), u, n, d, NULLIF(v, 0), NULLIF(t, 0), k, r
		FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::text[], $8::text[])
		  AS x(a, u, n, d, v, t, k, r)`,
		pq.StringArray(at), pq.Int64Array(user), pq.Int64Array(unit), pq.Int64Array(doc), pq.Int64Array(version),
		pq.Int64Array(attachment), pq.StringArray(kind), pq.StringArray(request))
	return err
}
