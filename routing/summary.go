package routing

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/notify"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// JobIndicators refreshes the stale rows of indicator_months.
const JobIndicators = "routing.indicators"

// IndicatorsJob is the refresh job, once per minute whichever instance
// enqueues it first.
func IndicatorsJob(now time.Time) notify.Job {
	return notify.Job{Kind: JobIndicators, DedupeKey: "indicators:" + now.UTC().Format("2006-01-02T15:04")}
}

// refreshBatch is how many (unit, month) pairs one transaction recomputes.
const refreshBatch = 500

// indicatorsHandler runs the refresh: first the pairs whose figures the
// calendar changed (a case that passed its deadline yesterday is now due
// and overdue, with no row changed), then every stale pair.
func (s *Service) indicatorsHandler(ctx context.Context, _ json.RawMessage) error {
	if err := s.markPastDeadlines(ctx, nil); err != nil {
		return err
	}
	_, err := s.RefreshIndicators(ctx, nil)
	return err
}

// markPastDeadlines marks stale the months whose open cases passed their
// deadline since the last refresh of the month: their figures depend on
// the day, not only on the rows. With units, only those units' months.
func (s *Service) markPastDeadlines(ctx context.Context, units []int64) error {
	today := dateOf(s.now()).Format(time.DateOnly)
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO indicator_dirty (unit_id, month)
		SELECT im.unit_id, im.month FROM indicator_months im
		WHERE im.month <= $1::date AND im.month + interval '1 month' > (im.refreshed_at AT TIME ZONE '`+domain.VietnamZone+`')::date
		  AND (im.refreshed_at AT TIME ZONE '`+domain.VietnamZone+`')::date < $1::date
		  AND ($2::bigint[] IS NULL OR im.unit_id = ANY($2))
		ON CONFLICT DO NOTHING`, today, nullableArray(units))
	if err != nil {
		return fmt.Errorf("routing: unable to mark past deadlines: %w", err)
	}
	return nil
}

// RefreshIndicators recomputes the stale (unit, month) pairs from the raw
// rows, with the definitions of Indicators, in batches; with units, only
// those units' pairs. It returns how many pairs it refreshed.
func (s *Service) RefreshIndicators(ctx context.Context, units []int64) (int, error) {
	total := 0
	for {
		n, err := s.refreshBatch(ctx, units)
		total += n
		if err != nil || n < refreshBatch {
			return total, err
		}
	}
}

func (s *Service) refreshBatch(ctx context.Context, units []int64) (int, error) {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("routing: unable to refresh indicators: %w", err)
	}
	defer tx.Rollback()
	var pairs []struct {
		UnitID int64     `db:"unit_id"`
		Month  time.Time `db:"month"`
	}
	err = tx.SelectContext(ctx, &pairs, `
		DELETE FROM indicator_dirty WHERE (unit_id, month) IN (
		  SELECT unit_id, month FROM indicator_dirty WHERE $1::bigint[] IS NULL OR unit_id = ANY($1)
		  ORDER BY month, unit_id LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING unit_id, month`, nullableArray(units), refreshBatch)
	if err != nil {
		return 0, fmt.Errorf("routing: unable to take stale indicators: %w", err)
	}
	if len(pairs) == 0 {
		return 0, nil
	}
	ids := make([]int64, len(pairs))
	months := make([]string, len(pairs))
	for i, p := range pairs {
		ids[i], months[i] = p.UnitID, p.Month.Format(time.DateOnly)
	}
	if err := refreshPairs(ctx, tx, ids, months, s.now()); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("routing: unable to refresh indicators: %w", err)
	}
	return len(pairs), nil
}

func nullableArray(ids []int64) any {
	if ids == nil {
		return nil
	}
	return pq.Array(ids)
}

// refreshPairs writes the figures of the pairs (ids[i], months[i]) into
// indicator_months, and removes the pairs that have none. The definitions
// are those of indicators (see there); leaders_active adds the unit's
// leaders (role signer) who signed a document or directed the handling of
// one in the month.
func refreshPairs(ctx context.Context, q sqlx.ExtContext, ids []int64, months []string, now time.Time) error {
	const vn = `'` + domain.VietnamZone + `'`
	_, err := q.ExecContext(ctx, `
		WITH pairs AS (
		  SELECT DISTINCT unit_id, m, (m::timestamp AT TIME ZONE `+vn+`) AS lo, ((m + interval '1 month')::timestamp AT TIME ZONE `+vn+`) AS hi
		  FROM unnest($1::bigint[], $2::date[]) AS p(unit_id, m)
		), issued AS (
		  SELECT p.unit_id, p.m, count(*) AS n, count(*) FILTER (WHERE d.valid) AS valid
		  FROM pairs p JOIN LATERAL (
		    SELECT y.document_id, EXISTS (SELECT 1 FROM dispatches z JOIN verification_reports vr ON vr.document_id = z.document_id AND vr.version_no = z.version_no
		                                   WHERE z.kind = 'issue' AND z.sender_unit_id = p.unit_id AND z.document_id = y.document_id AND vr.valid) AS valid
		    FROM dispatches y
		    WHERE y.kind = 'issue' AND y.sender_unit_id = p.unit_id AND y.created_at >= p.lo AND y.created_at < p.hi
		      AND NOT EXISTS (SELECT 1 FROM dispatches z WHERE z.kind = 'issue' AND z.sender_unit_id = p.unit_id
		                      AND z.document_id = y.document_id AND z.created_at < p.lo)
		    GROUP BY y.document_id
		  ) d ON true
		  GROUP BY 1, 2
		), judged AS (
		  SELECT p.unit_id, p.m, j.due, j.done, j.done_at
		  FROM pairs p JOIN LATERAL (
		    SELECT `+judgedCase+`
		    FROM deliveries dl `+leadTask+`
		    WHERE dl.recipient_unit_id = p.unit_id AND dl.status <> `+lit(Refused)+` AND NOT dl.removed
		  ) j ON j.due >= p.m AND j.due < p.m + interval '1 month'
		), cases AS (
		  SELECT unit_id, m,
		         count(*) FILTER (WHERE due < $3::date OR done) AS due,
		         count(*) FILTER (WHERE done AND (done_at AT TIME ZONE `+vn+`)::date <= due) AS on_time,
		         count(*) FILTER (WHERE NOT done AND due < $3::date) AS overdue
		  FROM judged GROUP BY 1, 2
		), received AS (
		  SELECT p.unit_id, p.m, count(dl.id) AS n,
		         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM dl.accepted_at - dl.arrived_at) / 3600)
		           FILTER (WHERE dl.accepted_at IS NOT NULL) AS median_hours
		  FROM pairs p JOIN deliveries dl ON dl.recipient_unit_id = p.unit_id AND dl.arrived_at >= p.lo AND dl.arrived_at < p.hi
		  GROUP BY 1, 2
		), leaders AS (
		  SELECT p.unit_id, p.m, count(*) AS n
		  FROM pairs p JOIN users u ON u.unit_id = p.unit_id AND 'signer' = ANY(u.roles)
		  WHERE EXISTS (SELECT 1 FROM document_signatures ds WHERE ds.signed_by = u.id AND ds.unit_id = p.unit_id AND ds.kind = 'person'
		                AND ds.signed_at >= p.lo AND ds.signed_at < p.hi)
		     OR EXISTS (SELECT 1 FROM deliveries dl WHERE dl.recipient_unit_id = p.unit_id AND dl.directed_by = u.id
		                AND dl.directed_at >= p.lo AND dl.directed_at < p.hi)
		  GROUP BY 1, 2
		), figures AS (
		  SELECT p.unit_id, p.m AS month, coalesce(i.n, 0) AS issued, coalesce(i.valid, 0) AS issued_valid,
		         coalesce(c.due, 0) AS cases_due, coalesce(c.on_time, 0) AS cases_on_time, coalesce(c.overdue, 0) AS cases_overdue,
		         coalesce(r.n, 0) AS received, r.median_hours, coalesce(l.n, 0) AS leaders_active
		  FROM pairs p
		  LEFT JOIN issued i ON i.unit_id = p.unit_id AND i.m = p.m
		  LEFT JOIN cases c ON c.unit_id = p.unit_id AND c.m = p.m
		  LEFT JOIN received r ON r.unit_id = p.unit_id AND r.m = p.m
		  LEFT JOIN leaders l ON l.unit_id = p.unit_id AND l.m = p.m
		), gone AS (
		  DELETE FROM indicator_months im USING figures f
		  WHERE im.unit_id = f.unit_id AND im.month = f.month
		    AND f.issued = 0 AND f.cases_due = 0 AND f.cases_overdue = 0 AND f.received = 0 AND f.leaders_active = 0
		    AND NOT EXISTS (SELECT 1 FROM judged j WHERE j.unit_id = f.unit_id AND j.m = f.month)
		)
		INSERT INTO indicator_months (unit_id, month, issued, issued_valid, cases_due, cases_on_time, cases_overdue,
		                              received, median_hours_to_accept, leaders_active, refreshed_at)
		SELECT unit_id, month, issued, issued_valid, cases_due, cases_on_time, cases_overdue, received, median_hours, leaders_active, $4::timestamptz
		FROM figures
		WHERE issued > 0 OR cases_due > 0 OR cases_overdue > 0 OR received > 0 OR leaders_active > 0
		   OR EXISTS (SELECT 1 FROM judged j WHERE j.unit_id = figures.unit_id AND j.m = figures.month)
		ON CONFLICT (unit_id, month) DO UPDATE SET
		  issued = EXCLUDED.issued, issued_valid = EXCLUDED.issued_valid, cases_due = EXCLUDED.cases_due,
		  cases_on_time = EXCLUDED.cases_on_time, cases_overdue = EXCLUDED.cases_overdue, received = EXCLUDED.received,
		  median_hours_to_accept = EXCLUDED.median_hours_to_accept, leaders_active = EXCLUDED.leaders_active,
		  refreshed_at = EXCLUDED.refreshed_at`,
		pq.Array(ids), pq.Array(months), dateOf(now).Format(time.DateOnly), now)
	if err != nil {
		return fmt.Errorf("routing: unable to refresh indicators: %w", err)
	}
	return nil
}

// refreshSome marks the months whose deadlines passed and refreshes the
// stale pairs of units (every unit when nil) when there are at most
// syncRefreshLimit of them, so that a view right after a change shows it.
// It returns how many stale pairs it left to the job.
func (s *Service) refreshSome(ctx context.Context, units []int64) (int, error) {
	if err := s.markPastDeadlines(ctx, units); err != nil {
		return 0, err
	}
	var pending int
	if err := s.db.GetContext(ctx, &pending, `SELECT count(*) FROM (SELECT 1 FROM indicator_dirty
		WHERE $1::bigint[] IS NULL OR unit_id = ANY($1) LIMIT $2) x`, nullableArray(units), syncRefreshLimit+1); err != nil {
		return 0, fmt.Errorf("routing: unable to count stale indicators: %w", err)
	}
	if pending == 0 || pending > syncRefreshLimit {
		return pending, nil
	}
	_, err := s.RefreshIndicators(ctx, units)
	return 0, err
}
