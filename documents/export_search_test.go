package documents

import (
	"context"

	"github.com/hcm-edu/vanban/auth"
)

// SearchWithoutVisibility is Search without the visibility rule: the
// benchmark's baseline, never a path of the service.
func SearchWithoutVisibility(s *Service, ctx context.Context, p auth.Principal, f SearchFilter) (SearchResult, error) {
	return s.search(ctx, p, f, searchOpts{vis: false, body: snippetBody})
}

// SetSearchTotalCap sets how many results a search counts at most, until
// the returned function restores it.
func SetSearchTotalCap(n int) (restore func()) {
	old := totalCap
	totalCap = n
	return func() { totalCap = old }
}
