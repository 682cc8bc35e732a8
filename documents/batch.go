package documents

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
)

// MaxBatch is the most documents one batch signs: a leader's routine
// documents of a day, not a register's year.
const MaxBatch = 50

// batchWorkers bounds how many signatures of a batch run at once: the
// signing is CPU-bound and the machine is shared with everyone else's
// requests.
const batchWorkers = 2

// BatchItem names a document to sign and the version the signer was shown.
type BatchItem struct {
	ID            int64  `json:"id"`
	VersionSHA256 string `json:"version_sha256"`
}

// BatchResult is what became of one item: the signed document, or the
// error that item alone met (a *ConflictError when it changed since the
// list was shown, a *domain.PreconditionError without the capacity, ...).
type BatchResult struct {
	ID       int64
	Document *Document
	Err      error
}

// SignBatch signs each item as SignAsPerson signs it, with the same checks
// and placement, a few at a time; a failure on one is its result and does
// not stop the others. Results are in the items' order. The error is for
// the batch as a whole: empty, too long, an item twice, or the second
// factor otp refused (one code for the whole batch).
func (s *Service) SignBatch(ctx context.Context, p auth.Principal, items []BatchItem, reason, otp string) ([]BatchResult, error) {
	switch {
	case len(items) == 0:
		return nil, domain.Invalid("items", "hãy chọn ít nhất một văn bản để ký")
	case len(items) > MaxBatch:
		return nil, domain.Invalid("items", fmt.Sprintf("mỗi lần ký tối đa %d văn bản; bạn đã chọn %d", MaxBatch, len(items)))
	}
	seen := map[int64]bool{}
	for _, it := range items {
		if seen[it.ID] {
			return nil, domain.Invalid("items", fmt.Sprintf("văn bản số %d có hai lần trong danh sách", it.ID))
		}
		seen[it.ID] = true
	}
	if !p.Has(auth.RoleSigner) {
		return nil, domain.ErrForbidden
	}
	if _, err := s.signingDeps(); err != nil {
		return nil, err
	}
	switch mode, err := s.SigningMode(ctx, p.UserID); {
	case err != nil:
		return nil, err
	case mode == ModeHelper:
		return nil, errUseHelper
	case mode == ModeRemote:
		// One authorisation of the remote-signing service for the batch.
		return s.signRemote(ctx, p, items, reason, otp, 0, nil)
	}
	if err := s.stepUp(ctx, p, otp); err != nil {
		return nil, err
	}
	out := make([]BatchResult, len(items))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(batchWorkers, len(items)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				it := items[i]
				out[i].ID = it.ID
				if err := ctx.Err(); err != nil {
					out[i].Err = err
					continue
				}
				d, err := s.SignAsPerson(ctx, p, it.ID, SignRequest{VersionSHA256: strings.TrimSpace(it.VersionSHA256), Reason: reason, stepped: true})
				if err != nil {
					out[i].Err = err
					continue
				}
				out[i].Document = &d
			}
		}()
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, nil
}
