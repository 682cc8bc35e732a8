package routing

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hcm-edu/vanban/auth"
	"github.com/lib/pq"
)

// Who a unit relays to. A unit passes a document on down the hierarchy
// only: a district office to its own schools, the department to any unit,
// a school or an office of the department to no one. An administrator may
// widen a unit's reach with a row of relay_grants (migration 6): the unit
// then also relays to the granted unit and every unit under it.

// reachSQL selects the ids of the units unit $1 may relay to.
const reachSQL = `
	WITH RECURSIVE roots(id) AS (
		SELECT $1::bigint
		UNION SELECT reaches_unit_id FROM relay_grants WHERE unit_id = $1
	), reach(id) AS (
		SELECT reaches_unit_id FROM relay_grants WHERE unit_id = $1
		UNION SELECT u.id FROM units u JOIN roots r ON u.parent_id = r.id
		UNION SELECT u.id FROM units u JOIN reach r ON u.parent_id = r.id
	)
	SELECT u.id FROM units u
	WHERE u.id <> $1 AND (EXISTS (SELECT 1 FROM units me WHERE me.id = $1 AND me.kind = 'department')
	                      OR u.id IN (SELECT id FROM reach))`

// unitName is a unit as messages name it.
type unitName struct {
	ID   int64  `db:"id" json:"id"`
	Name string `db:"name" json:"name"`
}

// outsideReach returns the units of ids that unit may not relay to.
func (s *Service) outsideReach(ctx context.Context, unit int64, ids []int64) ([]unitName, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []unitName
	err := s.db.SelectContext(ctx, &out, `
		SELECT u.id, u.name FROM units u
		WHERE u.id = ANY($2) AND u.id NOT IN (`+reachSQL+`)
		ORDER BY u.name, u.id`, unit, pq.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("routing: unable to check the relay's reach: %w", err)
	}
	return out, nil
}

// outsideMessage is the refusal of a relay to units out of reach.
func outsideMessage(outside []unitName) string {
	names := make([]string, 0, 5)
	for _, u := range outside[:min(len(outside), 5)] {
		names = append(names, u.Name)
	}
	more := ""
	if len(outside) > 5 {
		more = " và " + strconv.Itoa(len(outside)-5) + " đơn vị khác"
	}
	return "đơn vị chỉ chuyển tiếp văn bản cho các đơn vị trực thuộc mình; ngoài phạm vi: " + strings.Join(names, ", ") + more
}

// RelayTarget is a unit p's unit may relay to.
type RelayTarget struct {
	ID           int64  `db:"id" json:"id"`
	Code         string `db:"code" json:"code"`
	Name         string `db:"name" json:"name"`
	Abbreviation string `db:"abbreviation" json:"abbreviation"`
	Kind         string `db:"kind" json:"kind"`
	SchoolLevel  string `db:"school_level" json:"school_level,omitempty"`
	ParentID     *int64 `db:"parent_id" json:"parent_id,omitempty"`
}

// RelayTargets lists the units p's unit may relay to, by kind and name:
// what the relay form offers.
func (s *Service) RelayTargets(ctx context.Context, p auth.Principal) ([]RelayTarget, error) {
	out := []RelayTarget{}
	err := s.db.SelectContext(ctx, &out, `
		SELECT u.id, u.code, u.name, u.abbreviation, u.kind, u.school_level, u.parent_id FROM units u
		WHERE u.id IN (`+reachSQL+`)
		ORDER BY CASE u.kind WHEN 'department' THEN 0 WHEN 'office' THEN 1 WHEN 'district_office' THEN 2 WHEN 'school' THEN 3 ELSE 4 END, u.name, u.id`,
		p.UnitID)
	if err != nil {
		return nil, fmt.Errorf("routing: unable to list the relay's reach: %w", err)
	}
	return out, nil
}

// RelayGroups is Groups narrowed to those p's unit may relay to: every
// member within its reach.
func (s *Service) RelayGroups(ctx context.Context, p auth.Principal) ([]Group, error) {
	all, err := s.Groups(ctx, p)
	if err != nil {
		return nil, err
	}
	targets, err := s.RelayTargets(ctx, p)
	if err != nil {
		return nil, err
	}
	reach := make(map[int64]bool, len(targets))
	for _, t := range targets {
		reach[t.ID] = true
	}
	out := []Group{}
	for _, g := range all {
		if g.Count == 0 {
			continue
		}
		ids, unknown, err := s.resolve(ctx, p, Recipients{Groups: []string{g.ID}})
		if err != nil {
			return nil, err
		}
		if len(unknown) == 0 && len(ids) > 0 && !slices.ContainsFunc(ids, func(id int64) bool { return !reach[id] }) {
			out = append(out, g)
		}
	}
	return out, nil
}
