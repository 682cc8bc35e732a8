package routing

import (
	"slices"
	"strings"

	"github.com/hcm-edu/vanban/edxml"
)

// Delivery states: edXML's status codes (QCVN 102:2016) are routing's. A
// delivery has a handling state (status) and, once its sender recalls it,
// a recall state beside it (recall). Codes grow along the life-cycle, so
// a status at or above Accepted is "accepted or further along".
const (
	Arrived    = edxml.StatusArrived
	Refused    = edxml.StatusRefused
	Accepted   = edxml.StatusAccepted
	Assigned   = edxml.StatusAssigned
	InProgress = edxml.StatusInProgress
	Done       = edxml.StatusDone

	RecallRequested = edxml.StatusRecallRequested
	RecallAccepted  = edxml.StatusRecallAccepted
	RecallRefused   = edxml.StatusRecallRefused
)

// StatusLabels names the states in Vietnamese.
var StatusLabels = map[string]string{
	Arrived: "Đã đến", Refused: "Từ chối", Accepted: "Đã tiếp nhận", Assigned: "Đã phân công",
	InProgress: "Đang xử lý", Done: "Hoàn thành",
	RecallRequested: "Đề nghị thu hồi", RecallAccepted: "Đồng ý thu hồi", RecallRefused: "Từ chối thu hồi",
}

// States lists every state in the order the sender's board shows them:
// the handling's along its life-cycle, refusal last, then the recall's.
var States = []string{Arrived, Accepted, Assigned, InProgress, Done, Refused, RecallRequested, RecallAccepted, RecallRefused}

// stateChoices names the valid states in messages about a filter.
const stateChoices = "01–06, 13, 15, 16"

// isRecall reports whether code is a recall state rather than a handling one.
func isRecall(code string) bool {
	return code == RecallRequested || code == RecallAccepted || code == RecallRefused
}

// isHandling reports whether code is a handling state (not a recall's).
func isHandling(code string) bool { return StatusLabels[code] != "" && !isRecall(code) }

// closed are the handling states nothing follows: no deadline runs, no
// reminder goes out. Every other state is open.
var closed = []string{Refused, Done}

// closedSQL is closed as an SQL list, for "status NOT IN "+closedSQL. It
// is written out in the query text, not passed as a parameter, so that the
// planner matches the partial index deliveries_open_due (migration 5).
var closedSQL = sqlList(closed)

func isClosed(status string) bool { return slices.Contains(closed, status) }

// recallInForce reports whether a recall stops the handling of a delivery:
// one asked for or accepted, not one the recipient refused.
func recallInForce(recall *string) bool { return recall != nil && *recall != RecallRefused }

// noRecallSQL is the SQL condition that no recall is in force, over the
// recall column col.
func noRecallSQL(col string) string {
	return "(" + col + " IS NULL OR " + col + " = " + lit(RecallRefused) + ")"
}

// lit is a state code as an SQL literal. Codes are the constants above,
// never input.
func lit(code string) string { return "'" + code + "'" }

func sqlList(codes []string) string {
	quoted := make([]string, len(codes))
	for i, c := range codes {
		quoted[i] = lit(c)
	}
	return "(" + strings.Join(quoted, ", ") + ")"
}
