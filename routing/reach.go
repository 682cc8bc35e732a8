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

// reach returns the units unit may relay to: all of them (the
// department), or those in ids. Walking down the tree from the unit and its
// grants reads the units under it only, by parent (index units_parent), so
// the cost follows the size of its subtree, not of the organisation.
func (s *Service) reach(ctx context.Context, unit int64) (all bool, ids []int64, err error) {
	var kind string
	if err := s.db.GetContext(ctx, &kind, `SELECT kind FROM units WHERE id = $1`, unit); err != nil {
		return false, nil, fmt.Errorf("routing: unable to read the unit: %w", err)
	}
	if kind == "department" {
		return true, nil, nil
	}
	err = s.db.SelectContext(ctx, &ids, `
		WITH RECURSIVE reach(id) AS (
			SELECT id FROM units WHERE parent_id = $1
			UNION SELECT reaches_unit_id FROM relay_grants WHERE unit_id = $1
			UNION SELECT u.id FROM reach r JOIN units u ON u.parent_id = r.id
		)
		SELECT id FROM reach WHERE id <> $1 ORDER BY id`, unit)
	if err != nil {
		return false, nil, fmt.Errorf("routing: unable to read the relay's reach: %w", err)
	}
	return false, ids, nil
}

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
	all, in, err := s.reach(ctx, unit)
	if err != nil || all {
		return nil, err
	}
	var outside []int64
	for _, id := range ids {
		if _, ok := slices.BinarySearch(in, id); !ok {
			outside = append(outside, id)
		}
	}
	if len(outside) == 0 {
		return nil, nil
	}
	var out []unitName
	if err := s.db.SelectContext(ctx, &out, `SELECT id, name FROM units WHERE id = ANY($1) ORDER BY name, id`, pq.Array(outside)); err != nil {
		return nil, fmt.Errorf("routing: unable to name units: %w", err)
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
	all, ids, err := s.reach(ctx, p.UnitID)
	if err != nil {
		return nil, err
	}
	out := []RelayTarget{}
	err = s.db.SelectContext(ctx, &out, `
		SELECT u.id, u.code, u.name, u.abbreviation, u.kind, u.school_level, u.parent_id FROM units u
		WHERE u.id <> $1 AND ($2 OR u.id = ANY($3))
		ORDER BY CASE u.kind WHEN 'department' THEN 0 WHEN 'office' THEN 1 WHEN 'district_office' THEN 2 WHEN 'school' THEN 3 ELSE 4 END, u.name, u.id`,
		p.UnitID, all, pq.Array(ids))
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
