package records

import (
	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
)

// Who may do what with files and hand-overs, and from which states: the
// one definition. The operations ask may; Allowed tells pages which
// forms would work.

type act int

const (
	actPlan    act = iota // set up the year's list: create, copy, headings, files
	actOpen               // open a planned file
	actFile               // add or remove a document while the file is open
	actClose              // close an open file
	actPrepare            // prepare a hand-over of closed files
	actReceive            // receive a hand-over into the archive
	actEdit               // change a file's entry in the list while it is planned or open
	actDelete             // take a planned file out of the list
)

// rule is who may take an act and from which state of the file (or, for
// actReceive, of the hand-over).
type rule struct {
	roles       []string // p holds one of them,
	responsible bool     // or, when set, is the file's responsible person
	from        []string // the states the act starts from; none: any
}

var rules = map[act]rule{
	actPlan:    {roles: []string{auth.RoleClerk, auth.RoleArchivist}},
	actOpen:    {roles: []string{auth.RoleClerk}, responsible: true, from: []string{Planned}},
	actFile:    {roles: []string{auth.RoleClerk}, responsible: true, from: []string{Open}},
	actClose:   {roles: []string{auth.RoleClerk}, responsible: true, from: []string{Open}},
	actPrepare: {roles: []string{auth.RoleClerk}, from: []string{Closed}},
	actReceive: {roles: []string{auth.RoleArchivist}, from: []string{"prepared"}},
	actEdit:    {roles: []string{auth.RoleClerk, auth.RoleArchivist}, from: []string{Planned, Open}},
	actDelete:  {roles: []string{auth.RoleClerk, auth.RoleArchivist}, from: []string{Planned}},
}

// mayRead: the unit's own people read its lists, files and hand-overs;
// other units do not learn they exist.
func mayRead(p auth.Principal, unitID int64) bool { return p.UnitID == unitID }

// may says whether p may take a on f now: nil, domain.ErrNotFound for
// another unit's file, domain.ErrForbidden for the wrong person, or a
// PreconditionError naming the state that stops it (a handed-over file's
// is "file_frozen").
func may(p auth.Principal, f File, a act) error {
	if !mayRead(p, f.UnitID) {
		return domain.ErrNotFound
	}
	r := rules[a]
	own := r.responsible && f.ResponsibleID != nil && *f.ResponsibleID == p.UserID
	if !p.HasAny(r.roles...) && !own {
		return domain.ErrForbidden
	}
	if f.Frozen() {
		return errFrozen
	}
	if len(r.from) > 0 && !contains(r.from, f.State) {
		return &domain.PreconditionError{Code: "file_state", Message: stateMessage(a, f.State)}
	}
	return nil
}

// mayHandover is may for a hand-over (actReceive) or the unit's act of
// preparing one (actPrepare, state ignored: the files are checked each).
func mayHandover(p auth.Principal, unitID int64, state string, a act) error {
	if !mayRead(p, unitID) {
		return domain.ErrNotFound
	}
	r := rules[a]
	if !p.HasAny(r.roles...) {
		return domain.ErrForbidden
	}
	if a == actReceive && state != "prepared" {
		return &domain.PreconditionError{Code: "handover_state", Message: "Biên bản giao nhận này đã được tiếp nhận vào lưu trữ."}
	}
	return nil
}

var errFrozen = &domain.PreconditionError{Code: "file_frozen", Message: "Hồ sơ đã nộp lưu — không thể thay đổi."}

func stateMessage(a act, state string) string {
	switch a {
	case actOpen:
		return "Chỉ mở được hồ sơ đang ở trạng thái dự kiến; hồ sơ này " + lower(StateLabels[state]) + "."
	case actFile:
		return "Chỉ thêm, bớt văn bản khi hồ sơ đang lập; hồ sơ này " + lower(StateLabels[state]) + "."
	case actClose:
		return "Chỉ kết thúc được hồ sơ đang lập; hồ sơ này " + lower(StateLabels[state]) + "."
	case actPrepare:
		return "Chỉ nộp lưu được hồ sơ đã kết thúc; hồ sơ này " + lower(StateLabels[state]) + "."
	case actEdit:
		return "Chỉ sửa được hồ sơ dự kiến hoặc đang lập; hồ sơ này " + lower(StateLabels[state]) + "."
	case actDelete:
		return "Chỉ bỏ khỏi danh mục được hồ sơ dự kiến, chưa mở; hồ sơ này " + lower(StateLabels[state]) + "."
	}
	return "Hồ sơ đang ở trạng thái không cho phép thao tác này."
}

func lower(s string) string {
	switch s {
	case "Dự kiến":
		return "mới dự kiến"
	case "Đang lập":
		return "đang lập"
	case "Đã kết thúc":
		return "đã kết thúc"
	case "Đã nộp lưu":
		return "đã nộp lưu"
	case "Đã hủy":
		return "đã hủy"
	}
	return s
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// Actions are what a person may do with a file now.
type Actions struct {
	Plan, Open, File, Close, Edit, Delete bool
}

// Allowed says what p may do with f now, by the rules the operations apply.
func Allowed(p auth.Principal, f File) Actions {
	return Actions{Plan: may(p, f, actPlan) == nil, Open: may(p, f, actOpen) == nil,
		File: may(p, f, actFile) == nil, Close: may(p, f, actClose) == nil,
		Edit: may(p, f, actEdit) == nil, Delete: may(p, f, actDelete) == nil}
}

// CanPlan reports whether p sets up the unit's file list.
func CanPlan(p auth.Principal) bool { return p.HasAny(rules[actPlan].roles...) }

// CanPrepare reports whether p prepares hand-overs.
func CanPrepare(p auth.Principal) bool { return p.HasAny(rules[actPrepare].roles...) }

// CanReceive reports whether p receives hand-overs into the archive.
func CanReceive(p auth.Principal) bool { return p.HasAny(rules[actReceive].roles...) }
