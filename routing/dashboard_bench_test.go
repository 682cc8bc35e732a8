package routing_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/routing"
)

// BenchmarkDashboard1M is issue 18's figure: the dashboard of the city, of
// one district and of one school over 12 months, on 3,031 units and
// 1,000,000 deliveries, read from the summaries, against computing the
// same indicators from the raw rows (routing's Indicators query, which
// covers fewer figures: no leaders, no meetings), interleaved call by
// call (for the city, whose raw computation takes minutes, one raw call
// every 50 dashboard calls). Goal: dashboard p99 < 300 ms.
//
//	go test ./routing/ -run '^$' -bench Dashboard1M -benchtime 1x
//
// The fill (as BenchmarkInbox1M) writes rows with triggers off, so the
// summaries are then built in one go; that time is logged too.
func BenchmarkDashboard1M(b *testing.B) {
	e := newBenchEnv(b, 3000, 0)
	start := time.Now()
	e.fillDeliveries(1800, 500, 100_000)
	b.Logf("filled 1,000,000 deliveries in %s", time.Since(start).Round(100*time.Millisecond))
	start = time.Now()
	if _, err := e.db.ExecContext(e.ctx, `
		INSERT INTO indicator_dirty (unit_id, month)
		SELECT recipient_unit_id, vn_month(arrived_at) FROM deliveries
		UNION SELECT recipient_unit_id, date_trunc('month', coalesce(task_due, due_date))::date FROM deliveries WHERE coalesce(task_due, due_date) IS NOT NULL
		UNION SELECT sender_unit_id, vn_month(created_at) FROM dispatches WHERE kind = 'issue'
		ON CONFLICT DO NOTHING`); err != nil {
		b.Fatal(err)
	}
	n, err := e.rt.RefreshIndicators(e.ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.db.ExecContext(e.ctx, `VACUUM (ANALYZE) indicator_months`); err != nil {
		b.Fatal(err)
	}
	var units int
	e.db.GetContext(e.ctx, &units, `SELECT count(*) FROM units`)
	b.Logf("%d units; summaries of %d (unit, month) pairs built in %s", units, n, time.Since(start).Round(100*time.Millisecond))

	director, district := e.who("giamdoc.sgd"), e.who("vanthu.q1")
	var school int64
	if err := e.db.GetContext(e.ctx, &school, `
		SELECT recipient_unit_id FROM deliveries dl JOIN units u ON u.id = dl.recipient_unit_id AND u.kind = 'school'
		GROUP BY 1 ORDER BY count(*), 1 OFFSET (SELECT count(*) / 2 FROM units WHERE kind = 'school') LIMIT 1`); err != nil {
		b.Fatal(err)
	}
	var districtUnits []int64
	e.db.SelectContext(e.ctx, &districtUnits, `SELECT id FROM units WHERE id = $1 OR parent_id = $1`, district.UnitID)
	now := time.Now().In(domain.VietnamTime)
	from, to := now.AddDate(0, -11, 0).Format("2006-01"), now.Format("2006-01")
	cases := []struct {
		name   string
		p      auth.Principal
		unit   int64
		all    bool
		units  []int64
		rounds int
		// rawEvery: one raw computation every so many dashboard rounds
		// (the city's takes minutes).
		rawEvery int
	}{
		{"city", director, 0, true, nil, 100, 50},
		{"district", director, district.UnitID, false, districtUnits, 200, 1},
		{"school", director, school, false, []int64{school}, 300, 1},
	}
	type summary struct{ name, line string }
	var lines []summary
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			dash := func() float64 {
				start := time.Now()
				d, err := e.rt.Dashboard(e.ctx, c.p, c.unit, from, to)
				if err != nil {
					b.Fatal(err)
				}
				if !d.Totals.HasData() || len(d.Trend) != 12 {
					b.Fatalf("%s: no data: %+v", c.name, d.Totals)
				}
				return ms(time.Since(start))
			}
			raw := func() float64 {
				start := time.Now()
				rows, err := routing.RawIndicators(e.rt, e.ctx, from, to, c.all, c.units)
				if err != nil || len(rows) == 0 {
					b.Fatalf("raw: %d rows, %v", len(rows), err)
				}
				return ms(time.Since(start))
			}
			for range 3 { // warm up both
				dash()
			}
			if c.rawEvery == 1 {
				raw()
			}
			b.ResetTimer()
			rounds := max(b.N, c.rounds)
			var ds, rs []float64
			for i := range rounds {
				switch {
				case i%c.rawEvery != 0:
					ds = append(ds, dash())
				case i%2 == 0:
					ds, rs = append(ds, dash()), append(rs, raw())
				default:
					rs, ds = append(rs, raw()), append(ds, dash())
				}
			}
			b.StopTimer()
			slices.Sort(ds)
			slices.Sort(rs)
			b.ReportMetric(quantile(ds, 0.5), "dash-p50-ms")
			b.ReportMetric(quantile(ds, 0.99), "dash-p99-ms")
			b.ReportMetric(quantile(rs, 0.5), "raw-p50-ms")
			b.ReportMetric(quantile(rs, 0.99), "raw-p99-ms")
			b.ReportMetric(quantile(rs, 0.5)/quantile(ds, 0.5), "raw/dash")
			lines = append(lines, summary{c.name, fmt.Sprintf("%-9s %4d/%d rounds  dashboard p50 %7.1f p99 %7.1f ms   raw p50 %8.1f p99 %8.1f ms   raw/dashboard %5.1f×",
				c.name, len(ds), len(rs), quantile(ds, 0.5), quantile(ds, 0.99), quantile(rs, 0.5), quantile(rs, 0.99), quantile(rs, 0.5)/quantile(ds, 0.5))})
		})
	}
	for _, l := range lines {
		b.Log(l.line)
	}
}

// BenchmarkIssueWithSummaries is the cost of keeping the summaries on the
// issue path: Issue to all district offices and schools (3,026 deliveries)
// with the indicator triggers on and off, alternating round by round.
// Goal: ≤ 5% more.
func BenchmarkIssueWithSummaries(b *testing.B) {
	const minRounds = 40
	e := newBenchEnv(b, 3000, 0)
	e.enableSigning()
	clerk := e.who("vanthu.sgd")
	due := time.Now().In(domain.VietnamTime).AddDate(0, 0, 30).Format(time.DateOnly)
	req := routing.IssueRequest{Recipients: routing.Recipients{Groups: []string{"district_offices", "schools"}},
		Steering: routing.SteeringDirective, DueDate: due}
	triggers := func(on bool) {
		verb := "DISABLE"
		if on {
			verb = "ENABLE"
		}
		for _, q := range []string{
			`ALTER TABLE deliveries ` + verb + ` TRIGGER deliveries_indicators_insert`,
			`ALTER TABLE dispatches ` + verb + ` TRIGGER dispatches_indicators`,
		} {
			if _, err := e.db.ExecContext(e.ctx, q); err != nil {
				b.Fatal(err)
			}
		}
	}
	issue := func() float64 {
		d, err := e.document(clerk, 2000, true)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := e.rt.Issue(e.ctx, clerk, d.ID, req)
		took := ms(time.Since(start))
		if err != nil || res.Delivered < 3000 {
			b.Fatalf("issue: %+v %v", res, err)
		}
		return took
	}
	for _, on := range []bool{true, false} { // warm up both
		triggers(on)
		issue()
	}
	var dirty int
	e.db.GetContext(e.ctx, &dirty, `SELECT count(*) FROM indicator_dirty`)
	if dirty == 0 {
		b.Fatal("the triggers marked nothing")
	}
	b.ResetTimer()
	rounds := max(b.N, minRounds)
	var with, without, ratios []float64
	for i := range rounds {
		var tw, to float64
		if i%2 == 0 {
			triggers(true)
			tw = issue()
			triggers(false)
			to = issue()
		} else {
			triggers(false)
			to = issue()
			triggers(true)
			tw = issue()
		}
		with, without, ratios = append(with, tw), append(without, to), append(ratios, tw/to)
		if i%10 == 9 { // the job would have emptied the queue meanwhile
			if _, err := e.rt.RefreshIndicators(e.ctx, nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	triggers(true)
	for _, s := range [][]float64{with, without, ratios} {
		slices.Sort(s)
	}
	b.ReportMetric(quantile(with, 0.5), "with-ms")
	b.ReportMetric(quantile(without, 0.5), "without-ms")
	b.ReportMetric(quantile(with, 0.5)/quantile(without, 0.5), "with/without")
	b.Logf("%d rounds: issue with summaries p10/p50/p90 %.1f/%.1f/%.1f ms, without %.1f/%.1f/%.1f ms; ratio of medians %.3f (round ratios p10/p50/p90 %.3f/%.3f/%.3f; goal ≤ 1.05)",
		rounds, quantile(with, 0.1), quantile(with, 0.5), quantile(with, 0.9), quantile(without, 0.1), quantile(without, 0.5), quantile(without, 0.9),
		quantile(with, 0.5)/quantile(without, 0.5), quantile(ratios, 0.1), quantile(ratios, 0.5), quantile(ratios, 0.9))
}
