package meetings_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/meetings"
)

// BenchmarkChildLookupForbiddenVsMissing asks, as someone in no meeting,
// for child ids that exist in another meeting (forbidden) and for ids that
// exist nowhere (missing), alternating the two in the same run, and
// reports each kind's median time for both and their ratio. Both must be
// a 404 and cost the same: a difference tells an outsider which ids exist.
//
//	go test -run '^$' -bench ChildLookup -benchtime 2000x ./meetings/
func BenchmarkChildLookupForbiddenVsMissing(b *testing.B) {
	f := newMeetingWorld(b).fixture(b, 0)
	org, chair, q1 := f.who("vanthu.sgd"), f.who("giamdoc.sgd"), f.who("vanthu.q1")
	sc := f.scene()
	mid := sc.m.ID
	if _, err := f.svc.Update(f.ctx, org, mid, meetings.Input{Status: meetings.StatusInProgress}); err != nil {
		b.Fatal(err)
	}
	if _, err := f.svc.CheckIn(f.ctx, q1, mid); err != nil {
		b.Fatal(err)
	}
	req, err := f.svc.RequestToSpeak(f.ctx, q1, mid, 0)
	if err != nil {
		b.Fatal(err)
	}
	ballot, err := f.svc.OpenBallot(f.ctx, chair, mid, meetings.BallotInput{Question: "Thông qua kế hoạch?"})
	if err != nil {
		b.Fatal(err)
	}
	outsider := f.who("nhanvien.sgd")
	const missing = 1 << 40
	kinds := []struct {
		name string
		ask  func(id int64) error
		id   int64
	}{
		{"ballot", func(id int64) error { _, err := f.svc.CastVote(f.ctx, outsider, id, "Tán thành"); return err }, ballot.ID},
		{"results", func(id int64) error { _, err := f.svc.Results(f.ctx, outsider, id); return err }, ballot.ID},
		{"speaker", func(id int64) error { return f.svc.WithdrawSpeak(f.ctx, outsider, id) }, req.ID},
		{"item", func(id int64) error { _, err := f.svc.AttachDocument(f.ctx, outsider, mid, id, 1, 0); return err }, sc.item.ID},
		{"file", func(id int64) error {
			_, _, _, err := f.svc.OpenDocument(f.ctx, outsider, mid, id)
			return err
		}, sc.draft.ID},
	}
	times := make([][2][]time.Duration, len(kinds))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for k, c := range kinds {
			for j := range 2 {
				which := (i + j) % 2 // alternate which goes first
				id := c.id
				if which == 1 {
					id = missing
				}
				t0 := time.Now()
				err := c.ask(id)
				times[k][which] = append(times[k][which], time.Since(t0))
				if !errors.Is(err, domain.ErrNotFound) {
					b.Fatalf("%s %d: %v, want not found", c.name, id, err)
				}
			}
		}
	}
	b.StopTimer()
	median := func(d []time.Duration) time.Duration {
		slices.Sort(d)
		return d[len(d)/2]
	}
	for k, c := range kinds {
		fb, ms := median(times[k][0]), median(times[k][1])
		b.ReportMetric(float64(fb.Microseconds()), c.name+"-forbidden-µs")
		b.ReportMetric(float64(ms.Microseconds()), c.name+"-missing-µs")
		b.ReportMetric(float64(fb)/float64(ms), c.name+"-ratio")
		b.Logf("%-8s forbidden %v, missing %v, ratio %.3f", c.name, fb, ms, float64(fb)/float64(ms))
	}
}
