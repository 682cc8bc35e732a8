package documents

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"html/template"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hcm-edu/vanban/auth"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/text/unicode/norm"
)

// Search limits: words of a query beyond maxSearchWords are dropped (and
// the result says so), a query is read up to maxSearchRunes, an export
// holds at most ExportLimit rows.
const (
	maxSearchWords = 16
	maxSearchRunes = 1000
	ExportLimit    = 10000
	snippetBody    = 200000 // runes of a body read for its snippet
)

// totalCap is how many results a search counts at most: counting every
// match of a common word over a million documents took seconds.
var totalCap = 10000

// rankPool is how many candidates a word search ranks by relevance.
var rankPool = 1000

// countFromBranches has a word search count its matches from the rows its
// branches already read, when none filled the pool; false counts them
// all again, as before (BenchmarkSearchCount compares the two).
var countFromBranches = true

// Origins a search filters on.
const (
	SearchOwn      = "own"
	SearchReceived = "received"
)

// SearchFilter is one search over every document p may see: the unit's
// own and what reached it. Zero values mean no condition.
type SearchFilter struct {
	Query   string `json:"q,omitempty"`      // number and symbol, trích yếu, text of the PDF; accents optional
	Issuer  string `json:"issuer,omitempty"` // words of the issuing body's name
	DocType string `json:"type,omitempty"`
	Status  string `json:"status,omitempty"`
	Urgency string `json:"urgency,omitempty"`
	Origin  string `json:"origin,omitempty"` // SearchOwn or SearchReceived
	From    string `json:"from,omitempty"`   // YYYY-MM-DD, inclusive, on the document's date
	To      string `json:"to,omitempty"`
	Sort    string `json:"sort,omitempty"` // "relevance" (default with a query) or "date"
	Page    int    `json:"-"`              // from 1
	Limit   int    `json:"-"`              // default 20, at most 200
}

// Problems returns a message per malformed field.
func (f SearchFilter) Problems() map[string]string {
	bad := map[string]string{}
	if _, ok := TypeName(f.DocType); f.DocType != "" && !ok {
		bad["type"] = "loại văn bản không hợp lệ"
	}
	if f.Status != "" && !validIn(f.Status, Statuses) {
		bad["status"] = "trạng thái không hợp lệ (draft, registered, signed, issued, recalled)"
	}
	if f.Urgency != "" && !validIn(f.Urgency, Urgencies) {
		bad["urgency"] = "độ khẩn không hợp lệ (thuong, khan, thuong_khan, hoa_toc)"
	}
	if f.Origin != "" && f.Origin != SearchOwn && f.Origin != SearchReceived {
		bad["origin"] = "nguồn phải là own (văn bản của đơn vị) hoặc received (văn bản đến)"
	}
	if f.Sort != "" && f.Sort != "relevance" && f.Sort != "date" {
		bad["sort"] = "sắp xếp phải là relevance (mức độ phù hợp) hoặc date (ngày văn bản)"
	}
	for name, v := range map[string]string{"from": f.From, "to": f.To} {
		if _, err := time.Parse(time.DateOnly, v); v != "" && err != nil {
			bad[name] = "ngày không hợp lệ; dùng dạng YYYY-MM-DD"
		}
	}
	if f.Page < 0 || f.Page > 500 {
		bad["page"] = "trang phải từ 1 đến 500"
	}
	if f.Limit < 0 || f.Limit > 200 {
		bad["limit"] = "limit phải từ 1 đến 200"
	}
	return bad
}

// Hit is a document a search found.
type Hit struct {
	Document
	Rank     float64 `db:"rank" json:"rank"`
	DateText string  `db:"-" json:"doc_date"` // YYYY-MM-DD
	Body     string  `db:"body" json:"-"`
	// Received: another unit issued it and it reached p's unit.
	Received bool `db:"-" json:"received"`
	// TitleHTML is the trích yếu and Snippet a fragment of the text of
	// the PDF, both HTML-escaped, the words found in <mark>, accents as
	// written.
	TitleHTML template.HTML `db:"-" json:"title_html"`
	Snippet   template.HTML `db:"-" json:"snippet,omitempty"`
}

// SearchResult is one page of a search.
type SearchResult struct {
	Items     []Hit    `json:"items"`
	Total     int      `json:"total"`
	Page      int      `json:"page"`
	Limit     int      `json:"limit"`
	Words     []string `json:"words,omitempty"`     // the unaccented words looked for
	Truncated bool     `json:"truncated,omitempty"` // the query was cut to its first words
	Capped    bool     `json:"capped,omitempty"`    // an export reached ExportLimit
	// More: there are more than Total results (Total is totalCap); the
	// pages go on while results come.
	More bool `json:"more,omitempty"`
}

// HasNext says whether another page follows.
func (r SearchResult) HasNext() bool {
	return r.Page*r.Limit < r.Total || r.More && len(r.Items) == r.Limit
}

// searchWords are the unaccented words of q (letters and digits; anything
// else separates them, so SQL or tsquery syntax is only words), at most
// maxSearchWords; truncated says some were dropped.
func searchWords(q string) (words []string, truncated bool) {
	if utf8.RuneCountInString(q) > maxSearchRunes {
		q, truncated = string([]rune(q)[:maxSearchRunes]), true
	}
	words = strings.FieldsFunc(Fold(q), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
	if len(words) > maxSearchWords {
		words, truncated = words[:maxSearchWords], true
	}
	return words, truncated
}

// prefixQuery is the tsquery of words: all of them, the last as a prefix
// (what is being typed). Prefixes of every word made a symbol's "kh"
// expand to every word that begins with kh, a tenth of the index.
func prefixQuery(words []string) string {
	if len(words) == 0 {
		return ""
	}
	return strings.Join(words, " & ") + ":*"
}

// Search finds the documents p may see that match f: the unit's own (as
// visible decides: drafts and restrictions) and those that reached it.
// With words to look for, results are ranked (a match in the number or
// trích yếu above one in the text only) unless f.Sort is "date".
func (s *Service) Search(ctx context.Context, p auth.Principal, f SearchFilter) (SearchResult, error) {
	return s.search(ctx, p, f, searchOpts{vis: true, body: snippetBody})
}

// searchOpts: vis applies the visibility rule (left out only for the
// benchmark's comparison), body is how much of each hit's text is read for
// its snippet (0: no snippet), limit overrides f.Limit (exports).
type searchOpts struct {
	vis   bool
	body  int
	limit int
}

// SearchExport is Search for an export: up to ExportLimit rows in one page.
func (s *Service) SearchExport(ctx context.Context, p auth.Principal, f SearchFilter, snippets bool) (SearchResult, error) {
	f.Page, f.Limit = 1, 0
	o := searchOpts{vis: true, limit: ExportLimit + 1}
	if snippets {
		o.body = 20000
	}
	r, err := s.search(ctx, p, f, o)
	if err != nil {
		return r, err
	}
	if len(r.Items) > ExportLimit {
		r.Items, r.Capped = r.Items[:ExportLimit], true
	}
	r.Limit = ExportLimit
	return r, nil
}

func (s *Service) search(ctx context.Context, p auth.Principal, f SearchFilter, o searchOpts) (SearchResult, error) {
	if bad := f.Problems(); len(bad) > 0 {
		return SearchResult{}, &domain.ValidationError{Fields: bad}
	}
	limit := f.Limit
	if limit == 0 {
		limit = 20
	}
	if o.limit > 0 {
		limit = o.limit
	}
	vis, body := o.vis, o.body
	page := max(f.Page, 1)
	res := SearchResult{Items: []Hit{}, Page: page, Limit: limit}
	words, truncated := searchWords(f.Query)
	res.Words, res.Truncated = words, truncated
	if strings.TrimSpace(f.Query) != "" && len(words) == 0 {
		return res, &domain.ValidationError{Fields: map[string]string{"q": "từ khóa không có chữ hay số nào để tìm; hãy gõ ít nhất một từ (có dấu hay không dấu đều được)"}}
	}
	args := seeArgs(p)
	args["limit"], args["offset"] = limit, (page-1)*limit
	var cond []string
	add := func(name string, v any, c string) {
		args[name] = v
		cond = append(cond, c)
	}
	if f.DocType != "" {
		add("doc_type", f.DocType, "d.doc_type = :doc_type")
	}
	if f.Status != "" {
		add("status", f.Status, "d.status = :status")
	}
	if f.Urgency != "" {
		add("urgency", f.Urgency, "d.urgency = :urgency")
	}
	if f.From != "" {
		add("from", f.From, "d.doc_date >= CAST(:from AS date)")
	}
	if f.To != "" {
		add("to", f.To, "d.doc_date <= CAST(:to AS date)")
	}
	if iw, _ := searchWords(f.Issuer); len(iw) > 0 {
		var like []string
		for i, w := range iw {
			name := "issuer" + strconv.Itoa(i)
			args[name] = "%" + w + "%"
			like = append(like, "vn_unaccent(iu.name) LIKE :"+name)
		}
		cond = append(cond, "d.unit_id IN (SELECT iu.id FROM units iu WHERE "+strings.Join(like, " AND ")+")")
	}
	if vis {
		cond = append(cond, s.visible())
	}
	where := func(extra ...string) string {
		return strings.Join(append(extra, cond...), " AND ")
	}
	own, received := f.Origin != SearchReceived, f.Origin != SearchOwn
	var reach []string
	for _, l := range s.links {
		if l.Reach != "" {
			reach = append(reach, l.Reach)
		}
	}
	if !vis {
		// Without the rule every other unit's document is a candidate.
		reach = []string{"true"}
	}
	var inner string
	rank := "0"
	order := "d.doc_date DESC, d.id DESC"
	if len(words) > 0 {
		args["q"] = prefixQuery(words)
		const tq = "to_tsquery('simple', :q)"
		// Each branch is one way in through an index: the unit's own
		// documents or those a link reaches, matched by their number and
		// trích yếu, or by their text alone. The branches are disjoint, so
		// that each document comes once without a de-duplication that
		// would read every match: a common word matches half of a million
		// documents. visible() stays in every branch, the one rule.
		type branch struct {
			title bool
			sql   string
		}
		var br []branch
		add := func(scope ...string) {
			br = append(br,
				branch{true, "FROM documents d WHERE " + where(append(scope, "d.search @@ "+tq)...)},
				branch{false, "FROM document_texts t JOIN documents d ON d.id = t.document_id WHERE " +
					where(append(scope, "t.search @@ "+tq, "NOT d.search @@ "+tq)...)})
		}
		if own {
			add("d.unit_id = :unit")
		}
		if received && len(reach) > 0 {
			add("d.unit_id <> :unit", "("+strings.Join(reach, " OR ")+")")
		}
		if len(br) == 0 {
			return res, nil
		}
		// Ranking reads each candidate's text: a common word's tens of
		// thousands would take seconds. The rank is computed for the
		// rankPool best candidates only: matches in the number or trích yếu
		// first, then the newest. Each branch gives its own best, newest
		// first (an index walk that stops early when the word is common),
		// one more than the pool, tagged with the branch.
		args["pool"] = max(rankPool, (page-1)*limit+limit)
		pool := "tm DESC, doc_date DESC, id DESC"
		if f.Sort == "date" {
			pool = "doc_date DESC, id DESC"
		}
		var best, all []string
		for i, b := range br {
			tm := "0"
			if b.title {
				tm = "1"
			}
			best = append(best, `(SELECT `+strconv.Itoa(i)+` AS br, d.id, d.doc_date, `+tm+` AS tm `+b.sql+` ORDER BY d.doc_date DESC, d.id DESC LIMIT :pool + 1)`)
			all = append(all, "SELECT 1 "+b.sql)
		}
		// The total: when no branch filled the pool, the branches' rows
		// are every match, counted as they are. Otherwise the matches are
		// counted again, up to totalCap; that subquery runs only then (an
		// InitPlan under CASE is evaluated when its branch is taken).
		args["cap"] = totalCap + 1
		capped := `(SELECT count(*) FROM (` + strings.Join(all, "\n\tUNION ALL\n\t") + ` LIMIT :cap) n)`
		total := `(SELECT CASE WHEN max(k) > :pool THEN ` + capped + ` ELSE coalesce(sum(k), 0) END
			FROM (SELECT count(*) AS k FROM b GROUP BY br) k)`
		if !countFromBranches {
			total = capped
		}
		rank = `(CASE WHEN d.search @@ ` + tq + ` THEN 1 ELSE 0 END + ts_rank_cd(d.search, ` + tq + `, 32)
			+ coalesce(ts_rank_cd(t.search, ` + tq + `, 32), 0) / 2)`
		if f.Sort != "date" {
			order = "rank DESC, d.doc_date DESC, d.id DESC"
		}
		inner = `WITH b AS (` + strings.Join(best, "\n\tUNION ALL\n\t") + `)
			SELECT d.id, d.doc_date, ` + rank + ` AS rank, ` + total + ` AS total
			FROM (SELECT id FROM b ORDER BY ` + pool + ` LIMIT :pool) c
			JOIN documents d ON d.id = c.id LEFT JOIN document_texts t ON t.document_id = d.id
			ORDER BY ` + order + ` LIMIT :limit OFFSET :offset`
	} else {
		var c []string
		switch {
		case !own:
			c = append(c, "d.unit_id <> :unit")
		case !received:
			c = append(c, "d.unit_id = :unit")
		}
		w := where(c...)
		if w == "" {
			w = "true"
		}
		args["cap"] = totalCap + 1
		inner = `SELECT d.id, d.doc_date, 0 AS rank, (SELECT count(*) FROM (SELECT 1 FROM documents d WHERE ` + w + ` LIMIT :cap) n) AS total
			FROM documents d WHERE ` + w + `
			ORDER BY ` + order + ` LIMIT :limit OFFSET :offset`
	}
	bodyCol := "''"
	if body > 0 {
		args["body"] = body
		bodyCol = "coalesce((SELECT left(t.body, :body) FROM document_texts t WHERE t.document_id = d.id), '')"
	}
	outer := `SELECT ` + s.columns() + `, h.rank, h.total, ` + bodyCol + ` AS body
		FROM (` + inner + `) h JOIN documents d ON d.id = h.id JOIN units n ON n.id = d.unit_id JOIN users u ON u.id = d.created_by
		ORDER BY ` + strings.ReplaceAll(order, "rank", "h.rank")
	q, qargs, err := sqlx.Named(outer, args)
	if err != nil {
		return res, err
	}
	var rows []struct {
		Hit
		Total int `db:"total"`
	}
	// The planner's estimate of the text branches is far above their cost,
	// enough to have the plan JIT-compiled: two seconds of a query that
	// runs in a tenth of that (BenchmarkSearchScale).
	tx, err := s.db.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return res, fmt.Errorf("documents: unable to begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL jit = off`); err != nil {
		return res, fmt.Errorf("documents: unable to search: %w", err)
	}
	if err := tx.SelectContext(ctx, &rows, s.db.Rebind(q), qargs...); err != nil {
		return res, fmt.Errorf("documents: unable to search: %w", err)
	}
	for _, r := range rows {
		h := r.Hit
		res.Total, res.More = min(r.Total, totalCap), r.Total > totalCap
		h.Received = h.UnitID != p.UnitID
		h.DateText = h.Date()
		h.TitleHTML = Highlight(h.Title, words)
		if len(words) > 0 && h.Body != "" {
			h.Snippet = Snippet(h.Body, words, 40)
		}
		h.Body = ""
		res.Items = append(res.Items, h)
	}
	return res, nil
}

// foldRunes folds text rune by rune as Fold does, keeping for each folded
// rune the index of the original one it came from, so that what matched
// unaccented shows with its accents.
func foldRunes(text []rune) (folded []rune, from []int) {
	folded, from = make([]rune, 0, len(text)), make([]int, 0, len(text))
	var cache map[rune]rune
	for i, r := range text {
		f := r
		switch {
		case r < utf8.RuneSelf:
			f = unicode.ToLower(r)
		case unicode.Is(unicode.Mn, r):
			continue
		default:
			if c, ok := cache[r]; ok {
				f = c
				break
			}
			if fr := []rune(Fold(string(r))); len(fr) == 1 {
				f = fr[0]
			} else {
				f = unicode.ToLower(r)
			}
			if cache == nil {
				cache = map[rune]rune{}
			}
			cache[r] = f
		}
		folded, from = append(folded, f), append(from, i)
	}
	return folded, from
}

type token struct{ start, end, word int } // runes of the original, end exclusive; word: index in words or -1

// tokens finds the words of text (letters and digits of the folded text),
// each marked with the query word it is (or, the last, begins with), if any.
func tokens(text []rune, words []string) []token {
	folded, from := foldRunes(text)
	var out []token
	for i := 0; i < len(folded); {
		if !isWordRune(folded[i]) {
			i++
			continue
		}
		j := i
		for j < len(folded) && isWordRune(folded[j]) {
			j++
		}
		t := token{start: from[i], end: from[j-1] + 1, word: -1}
		w := string(folded[i:j])
		for k, q := range words {
			if w == q || k == len(words)-1 && strings.HasPrefix(w, q) { // as prefixQuery matches
				t.word = k
				break
			}
		}
		out = append(out, t)
		i = j
	}
	return out
}

func isWordRune(r rune) bool { return r >= 'a' && r <= 'z' || r >= '0' && r <= '9' }

// Highlight is text HTML-escaped with the words that begin with one of
// words (unaccented) in <mark>.
func Highlight(text string, words []string) template.HTML {
	rs := []rune(norm.NFC.String(text))
	return render(rs, tokens(rs, words), 0, len(rs))
}

// Snippet is a fragment of text of about width words around where most of
// words are found, the words typed as a phrase first, HTML-escaped,
// those words in <mark>; empty when none is found.
func Snippet(text string, words []string, width int) template.HTML {
	rs := []rune(norm.NFC.String(text))
	ts := tokens(rs, words)
	// The fragment opens where the longest run of the words in the order
	// typed (a phrase) begins, then where a window of width tokens holds
	// the most distinct words, then the most of them. The window slides
	// over the text once, keeping counts: common words ("các", "thể") are
	// found thousands of times in a long document, and all of it is weighed.
	run := make([]int, len(ts)+1) // run[k]: the query words in order from token k
	for k := len(ts) - 1; k >= 0; k-- {
		switch {
		case ts[k].word < 0:
		case k+1 < len(ts) && ts[k+1].word == ts[k].word+1:
			run[k] = 1 + run[k+1]
		default:
			run[k] = 1
		}
	}
	seen := make([]int, len(words))
	distinct, count := 0, 0
	add := func(k, sign int) {
		if w := ts[k].word; w >= 0 {
			if sign > 0 && seen[w] == 0 {
				distinct++
			}
			seen[w] += sign
			if sign < 0 && seen[w] == 0 {
				distinct--
			}
			count += sign
		}
	}
	best, bestScore := -1, 0
	j := 0 // the window is ts[i:j]
	for i := range ts {
		for ; j < len(ts) && j < i+width; j++ {
			add(j, 1)
		}
		if ts[i].word >= 0 {
			if score := min(run[i], width)*1_000_000 + distinct*1_000 + count; score > bestScore {
				best, bestScore = i, score
			}
		}
		add(i, -1)
	}
	if best < 0 {
		return ""
	}
	first := max(best-width/5, 0)
	last := min(first+width, len(ts)) - 1
	start, end := ts[first].start, ts[last].end
	if first == 0 {
		start = 0
	}
	if last == len(ts)-1 {
		end = len(rs)
	}
	out := render(rs, ts[first:last+1], start, end)
	if start > 0 {
		out = "… " + out
	}
	if end < len(rs) {
		out += " …"
	}
	return out
}

// render writes rs[start:end] escaped, the matched tokens of ts in <mark>.
func render(rs []rune, ts []token, start, end int) template.HTML {
	var b strings.Builder
	at := start
	for _, t := range ts {
		if t.word < 0 || t.start < at || t.end > end {
			continue
		}
		b.WriteString(html.EscapeString(string(rs[at:t.start])))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(string(rs[t.start:t.end])))
		b.WriteString("</mark>")
		at = t.end
	}
	b.WriteString(html.EscapeString(string(rs[at:end])))
	s := strings.Join(strings.Fields(b.String()), " ")
	return template.HTML(s) //nolint:gosec // escaped above, the marks are ours
}

// SearchColumns are the columns a search's table and export may show
// (Appendix VI III.6.h), in their order.
var SearchColumns = []Choice{
	{"number", "Số, ký hiệu"}, {"date", "Ngày văn bản"}, {"type", "Loại văn bản"},
	{"title", "Trích yếu"}, {"issuer", "Cơ quan ban hành"}, {"status", "Trạng thái"},
	{"urgency", "Độ khẩn"}, {"origin", "Nguồn"}, {"snippet", "Đoạn trích"},
}

// DefaultSearchColumns are shown when the user chose none.
var DefaultSearchColumns = []string{"number", "date", "title", "issuer", "origin", "snippet"}

// CheckColumns returns cols in the order of SearchColumns, without
// repeats, DefaultSearchColumns when empty, or a *domain.ValidationError.
func CheckColumns(cols []string) ([]string, error) {
	var out []string
	for _, c := range cols {
		if c == "" {
			continue
		}
		if !validIn(c, SearchColumns) {
			return nil, &domain.ValidationError{Fields: map[string]string{"columns": "cột không hợp lệ: " + c + " (number, date, type, title, issuer, status, urgency, origin, snippet)"}}
		}
	}
	for _, c := range SearchColumns {
		if slices.Contains(cols, c.Code) {
			out = append(out, c.Code)
		}
	}
	if len(out) == 0 {
		out = slices.Clone(DefaultSearchColumns)
	}
	return out, nil
}

// Cell is the plain text of column col for h.
func (h Hit) Cell(col string) string {
	switch col {
	case "number":
		if h.NumberSymbol != nil {
			return *h.NumberSymbol
		}
		return ""
	case "date":
		return h.DocDate.Format("02/01/2006")
	case "type":
		return Label(Types, h.DocType)
	case "title":
		return h.Title
	case "issuer":
		return h.UnitName
	case "status":
		return Label(Statuses, h.Status)
	case "urgency":
		return Label(Urgencies, h.Urgency)
	case "origin":
		if h.Received {
			return "Văn bản đến"
		}
		return "Văn bản của đơn vị"
	case "snippet":
		return html.UnescapeString(strings.NewReplacer("<mark>", "", "</mark>", "").Replace(string(h.Snippet)))
	}
	return ""
}

// WriteSearchCSV writes r as CSV for Excel (UTF-8 with its BOM), the
// Vietnamese headers of cols, and a last line saying when r was capped.
func WriteSearchCSV(w io.Writer, r SearchResult, cols []string) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := make([]string, len(cols))
	for i, c := range cols {
		head[i] = Label(SearchColumns, c)
	}
	cw.Write(head) //nolint:errcheck // cw.Error below
	row := make([]string, len(cols))
	for _, h := range r.Items {
		for i, c := range cols {
			row[i] = csvSafe(h.Cell(c))
		}
		cw.Write(row) //nolint:errcheck // cw.Error below
	}
	if r.Capped {
		cw.Write([]string{fmt.Sprintf("Kết quả có %d văn bản; tệp chỉ gồm %d văn bản đầu tiên. Hãy thu hẹp điều kiện tìm kiếm để xuất phần còn lại.", r.Total, ExportLimit)}) //nolint:errcheck // cw.Error below
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// SavedSearch is a search a person named to run again (Appendix VI
// III.6.e), with the columns they chose.
type SavedSearch struct {
	ID        int64          `db:"id" json:"id"`
	Name      string         `db:"name" json:"name"`
	Params    SearchFilter   `db:"-" json:"params"`
	Columns   pq.StringArray `db:"columns" json:"columns"`
	CreatedAt time.Time      `db:"created_at" json:"created_at"`
	RawParams []byte         `db:"params" json:"-"`
}

// SaveSearch keeps f and cols under name for p, replacing p's search of
// the same name.
func (s *Service) SaveSearch(ctx context.Context, p auth.Principal, name string, f SearchFilter, cols []string) (SavedSearch, error) {
	name = strings.Join(strings.Fields(norm.NFC.String(name)), " ")
	bad := f.Problems()
	delete(bad, "page")
	delete(bad, "limit")
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		bad["name"] = "cần tên cho tìm kiếm đã lưu"
	case n > 200:
		bad["name"] = "tên dài tối đa 200 ký tự"
	}
	cols, err := CheckColumns(cols)
	if err != nil {
		var ve *domain.ValidationError
		errors.As(err, &ve)
		bad["columns"] = ve.Fields["columns"]
	}
	if len(bad) > 0 {
		return SavedSearch{}, &domain.ValidationError{Fields: bad}
	}
	f.Page, f.Limit = 0, 0
	params, _ := json.Marshal(f)
	var id int64
	err = s.db.GetContext(ctx, &id, `
		INSERT INTO saved_searches (user_id, name, params, columns) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id, name) DO UPDATE SET params = EXCLUDED.params, columns = EXCLUDED.columns
		RETURNING id`, p.UserID, name, params, pq.StringArray(cols))
	if err != nil {
		return SavedSearch{}, fmt.Errorf("documents: unable to save search: %w", err)
	}
	return s.SavedSearch(ctx, p, id)
}

// SavedSearches lists p's saved searches by name.
func (s *Service) SavedSearches(ctx context.Context, p auth.Principal) ([]SavedSearch, error) {
	out := []SavedSearch{}
	if err := s.db.SelectContext(ctx, &out, `SELECT id, name, params, columns, created_at FROM saved_searches WHERE user_id = $1 ORDER BY name, id`, p.UserID); err != nil {
		return nil, fmt.Errorf("documents: unable to list saved searches: %w", err)
	}
	for i := range out {
		json.Unmarshal(out[i].RawParams, &out[i].Params) //nolint:errcheck // written by SaveSearch
	}
	return out, nil
}

// SavedSearch returns one of p's saved searches, or domain.ErrNotFound.
func (s *Service) SavedSearch(ctx context.Context, p auth.Principal, id int64) (SavedSearch, error) {
	var ss SavedSearch
	err := s.db.GetContext(ctx, &ss, `SELECT id, name, params, columns, created_at FROM saved_searches WHERE id = $1 AND user_id = $2`, id, p.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return ss, domain.ErrNotFound
	}
	if err != nil {
		return ss, fmt.Errorf("documents: unable to fetch saved search: %w", err)
	}
	json.Unmarshal(ss.RawParams, &ss.Params) //nolint:errcheck // written by SaveSearch
	return ss, nil
}

// DeleteSavedSearch removes one of p's saved searches.
func (s *Service) DeleteSavedSearch(ctx context.Context, p auth.Principal, id int64) error {
	r, err := s.db.ExecContext(ctx, `DELETE FROM saved_searches WHERE id = $1 AND user_id = $2`, id, p.UserID)
	if err != nil {
		return fmt.Errorf("documents: unable to delete saved search: %w", err)
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// TSQuery is the prefix tsquery (to_tsquery 'simple') of the words of q,
// unaccented, as Search looks for them, for other packages' lists (the
// inbox); "" when q has no word.
func TSQuery(q string) string {
	words, _ := searchWords(q)
	return prefixQuery(words)
}

// ParseSearch reads a search from a query string (the /search page's and
// the API's parameters: q, issuer, type, status, urgency, origin, from, to,
// sort, page, limit, and col once per column), or a *domain.ValidationError
// with a message per bad field.
func ParseSearch(v url.Values) (SearchFilter, []string, error) {
	f := SearchFilter{Query: v.Get("q"), Issuer: v.Get("issuer"), DocType: v.Get("type"), Status: v.Get("status"),
		Urgency: v.Get("urgency"), Origin: v.Get("origin"), From: v.Get("from"), To: v.Get("to"), Sort: v.Get("sort")}
	bad := map[string]string{}
	for name, to := range map[string]*int{"page": &f.Page, "limit": &f.Limit} {
		if s := v.Get(name); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 {
				bad[name] = name + " phải là số nguyên dương"
				continue
			}
			*to = n
		}
	}
	maps.Copy(bad, f.Problems())
	cols, err := CheckColumns(v["col"])
	var ve *domain.ValidationError
	if errors.As(err, &ve) {
		maps.Copy(bad, ve.Fields)
	}
	if len(bad) > 0 {
		return f, nil, &domain.ValidationError{Fields: bad}
	}
	return f, cols, nil
}

// Values is f (without its page) and cols as ParseSearch reads them.
func (f SearchFilter) Values(cols []string) url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"q": f.Query, "issuer": f.Issuer, "type": f.DocType, "status": f.Status,
		"urgency": f.Urgency, "origin": f.Origin, "from": f.From, "to": f.To, "sort": f.Sort} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if !slices.Equal(cols, DefaultSearchColumns) {
		v["col"] = cols
	}
	return v
}
