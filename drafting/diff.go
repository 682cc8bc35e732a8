package drafting

import (
	"context"
	"fmt"
	"strings"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
)

// Line is a line of a diff: Op is "=" (in both), "-" (only in the older
// revision) or "+" (only in the newer one).
type Line struct {
	Op   string `json:"op"`
	Text string `json:"text"`
}

// Diff is what changed in the text between two revisions.
type Diff struct {
	From    int    `json:"from"`
	To      int    `json:"to"`
	Lines   []Line `json:"lines"`
	Added   int    `json:"added"`
	Removed int    `json:"removed"`
}

// maxDiffLines bounds the table LCS fills (lines × lines cells).
const maxDiffLines = 4000

// Diff compares the texts of revisions from and to of draft id (from 0:
// the one before to; to 0: the latest). The text of a revision made from a
// Word or ODT file is the converter's; a PDF's is read from its pages.
func (s *Service) Diff(ctx context.Context, p auth.Principal, id int64, from, to int) (Diff, error) {
	d, err := s.Get(ctx, p, id)
	if err != nil {
		return Diff{}, err
	}
	if to == 0 {
		to = d.Latest().No
	}
	if from == 0 {
		from = to - 1
	}
	if from < 1 || from >= to {
		return Diff{}, domain.Invalid("from", "chọn hai bản sửa khác nhau, bản cũ trước")
	}
	a, err := s.text(ctx, p, id, from)
	if err != nil {
		return Diff{}, err
	}
	b, err := s.text(ctx, p, id, to)
	if err != nil {
		return Diff{}, err
	}
	out := Diff{From: from, To: to, Lines: diffLines(lines(a), lines(b))}
	for _, l := range out.Lines {
		switch l.Op {
		case "+":
			out.Added++
		case "-":
			out.Removed++
		}
	}
	return out, nil
}

// text is the plain text of revision no.
func (s *Service) text(ctx context.Context, p auth.Principal, id int64, no int) (string, error) {
	var t string
	err := s.db.GetContext(ctx, &t, `SELECT coalesce((SELECT text FROM version_sources WHERE document_id = $1 AND version_no = $2), '')`, id, no)
	if err != nil {
		return "", fmt.Errorf("drafting: unable to read the text: %w", err)
	}
	if t != "" {
		return t, nil
	}
	v, err := s.docs.Version(ctx, p, id, no)
	if err != nil {
		return "", err
	}
	b, err := s.docs.ReadVersion(ctx, v)
	if err != nil {
		return "", err
	}
	return documents.PlainText(b)
}

// lines splits a text into its non-empty lines, spaces collapsed.
func lines(t string) []string {
	var out []string
	for _, l := range strings.Split(t, "\n") {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// diffLines is a line diff by longest common subsequence. Beyond
// maxDiffLines a side is shown whole as removed and the other as added.
func diffLines(a, b []string) []Line {
	// The common head and tail need no table.
	var head, tail []Line
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		head = append(head, Line{"=", a[0]})
		a, b = a[1:], b[1:]
	}
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		tail = append([]Line{{"=", a[len(a)-1]}}, tail...)
		a, b = a[:len(a)-1], b[:len(b)-1]
	}
	out := head
	if len(a) > maxDiffLines || len(b) > maxDiffLines {
		for _, l := range a {
			out = append(out, Line{"-", l})
		}
		for _, l := range b {
			out = append(out, Line{"+", l})
		}
		return append(out, tail...)
	}
	// lcs[i][j] is the length of the LCS of a[i:] and b[j:].
	lcs := make([][]int32, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int32, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			out = append(out, Line{"=", a[i]})
			i, j = i+1, j+1
		case lcs[i+1][j] >= lcs[i][j+1]:
			out = append(out, Line{"-", a[i]})
			i++
		default:
			out = append(out, Line{"+", b[j]})
			j++
		}
	}
	for ; i < len(a); i++ {
		out = append(out, Line{"-", a[i]})
	}
	for ; j < len(b); j++ {
		out = append(out, Line{"+", b[j]})
	}
	return append(out, tail...)
}
