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

// SetSearchRankPool sets how many candidates a search ranks, until the
// returned function restores it.
func SetSearchRankPool(n int) (restore func()) {
	old := rankPool
	rankPool = n
	return func() { rankPool = old }
}

// SetSearchCountFromBranches chooses how a word search counts its
// matches, until the returned function restores it.
func SetSearchCountFromBranches(on bool) (restore func()) {
	old := countFromBranches
	countFromBranches = on
	return func() { countFromBranches = old }
}
