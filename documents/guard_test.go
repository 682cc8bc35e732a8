package documents

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/pdfguard/hostile"
)

// A stored version that was never checked (stored before pdfguard) is
// verified in a worker, by the queued job and on demand: each hostile
// file is refused quickly as a bad PDF, and the job gives up for good.
// Before, the self-looping page tree held the job's goroutine for ever.
func TestStoredHostileVersionsAreVerifiedInWorkers(t *testing.T) {
	s, db, p := verifyEnv(t)
	ctx := context.Background()
	d := s.createForTest(t, p, 7)
	for _, c := range hostile.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			// The version's object is overwritten: versions are immutable rows.
			b := c.Make()
			if err := s.blobs.Delete(ctx, d.Versions[0].ObjectKey); err != nil {
				t.Fatal(err)
			}
			if err := s.blobs.Put(ctx, d.Versions[0].ObjectKey, bytes.NewReader(b), int64(len(b))); err != nil {
				t.Fatal(err)
			}
			db.MustExec(`DELETE FROM verification_reports WHERE document_id = $1`, d.ID)
			start := time.Now()
			payload, _ := json.Marshal(verifyJob{DocumentID: d.ID, Version: 1})
			if err := s.runVerifyJob(ctx, payload); !errors.Is(err, ErrBadPDF) && !errors.Is(err, ErrNotPDF) && !errors.Is(err, ErrEncryptedPDF) {
				t.Errorf("job: %v, want a bad PDF", err)
			}
			if _, err := s.Verification(ctx, p, d.ID, 1); !errors.Is(err, ErrBadPDF) && !errors.Is(err, ErrNotPDF) {
				t.Errorf("on demand: %v, want a bad PDF", err)
			}
			if took := time.Since(start); took > 10*time.Second {
				t.Errorf("refused after %v", took)
			}
			if n := reportCount(t, db, d.ID); n != 0 {
				t.Errorf("%d reports stored", n)
			}
			if left, _ := os.ReadDir(s.spoolDir); len(left) != 0 {
				t.Errorf("%d files left in the spool folder", len(left))
			}
		})
	}
}
