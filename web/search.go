package web

import (
	"bytes"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/hcm-edu/vanban/documents"
	"github.com/hcm-edu/vanban/internal/domain"
	"github.com/hcm-edu/vanban/internal/httpx"
)

// searchView is the search page: the form, the result, the columns chosen
// and the user's saved searches.
type searchView struct {
	Result     *documents.SearchResult
	Columns    []documents.Choice // shown, in order
	AllColumns []searchColumn
	Saved      []savedLink
	Prev, Next string
	Export     string // the CSV of this search
	Params     url.Values
	Origins    []documents.Choice
}

type searchColumn struct {
	documents.Choice
	Checked bool
}

type savedLink struct {
	documents.SavedSearch
	URL string
}

var searchOrigins = []documents.Choice{{Code: documents.SearchOwn, Label: "Văn bản của đơn vị"}, {Code: documents.SearchReceived, Label: "Văn bản đến"}}

// Has says whether the result table shows col.
func (v *searchView) Has(col string) bool {
	return slices.ContainsFunc(v.Columns, func(c documents.Choice) bool { return c.Code == col })
}

var searchFlashes = map[string]string{"saved": "Đã lưu tìm kiếm.", "deleted": "Đã xóa tìm kiếm đã lưu."}

// searchPage is /search: one search over every document the user may see.
// ?saved=<id> runs a saved search.
func (s *Server) searchPage(c *fiber.Ctx) error {
	p := httpx.Principal(c)
	if id := c.Query("saved"); id != "" {
		n, _ := strconv.ParseInt(id, 10, 64)
		ss, err := s.docs.SavedSearch(c.UserContext(), p, n)
		if err != nil {
			return err
		}
		return c.Redirect("/search?"+ss.Params.Values(ss.Columns).Encode(), fiber.StatusSeeOther)
	}
	d := s.page(c, "Tìm kiếm văn bản")
	d.Wide = true
	d.Flash = searchFlashes[c.Query("done")]
	v := &searchView{Origins: searchOrigins}
	d.S = v
	args := url.Values{}
	c.Context().QueryArgs().VisitAll(func(k, val []byte) { args.Add(string(k), string(val)) })
	args.Del("done")
	for _, k := range []string{"q", "issuer", "type", "status", "urgency", "origin", "from", "to", "sort"} {
		d.Form[k] = args.Get(k)
	}
	saved, err := s.docs.SavedSearches(c.UserContext(), p)
	if err != nil {
		return err
	}
	for _, ss := range saved {
		v.Saved = append(v.Saved, savedLink{ss, "/search?saved=" + strconv.FormatInt(ss.ID, 10)})
	}
	f, cols, err := documents.ParseSearch(args)
	if cols == nil {
		cols = documents.DefaultSearchColumns
	}
	v.setColumns(cols)
	if err == nil && len(args) > 0 {
		var r documents.SearchResult
		r, err = s.docs.Search(c.UserContext(), p, f)
		v.Result = &r
		v.Params = f.Values(cols)
		v.Export = "/search/export?" + v.Params.Encode()
		if r.Page > 1 {
			v.Prev = pageURL(v.Params, r.Page-1)
		}
		if r.HasNext() {
			v.Next = pageURL(v.Params, r.Page+1)
		}
	}
	if err != nil {
		pr, ok := s.formProblem(err)
		if !ok {
			return err
		}
		v.Result = nil
		d.Error, d.Fields = pr.Message, pr.Fields
		return s.render(c, pr.Status, "search", d)
	}
	return s.render(c, fiber.StatusOK, "search", d)
}

func (v *searchView) setColumns(cols []string) {
	v.Columns = nil
	for _, c := range documents.SearchColumns {
		on := slices.Contains(cols, c.Code)
		v.AllColumns = append(v.AllColumns, searchColumn{c, on})
		if on {
			v.Columns = append(v.Columns, c)
		}
	}
}

func pageURL(params url.Values, page int) string {
	q := url.Values{}
	for k, v := range params {
		q[k] = v
	}
	if page > 1 {
		q.Set("page", strconv.Itoa(page))
	}
	return "/search?" + q.Encode()
}

// searchExport downloads the result (up to documents.ExportLimit rows) as
// CSV with the columns chosen.
func (s *Server) searchExport(c *fiber.Ctx) error {
	args := url.Values{}
	c.Context().QueryArgs().VisitAll(func(k, val []byte) { args.Add(string(k), string(val)) })
	f, cols, err := documents.ParseSearch(args)
	if err != nil {
		return err
	}
	return exportSearch(c, s.docs, f, cols)
}

// exportSearch writes the CSV export of f for the web and the API.
func exportSearch(c *fiber.Ctx, docs *documents.Service, f documents.SearchFilter, cols []string) error {
	r, err := docs.SearchExport(c.UserContext(), httpx.Principal(c), f, slices.Contains(cols, "snippet"))
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := documents.WriteSearchCSV(&buf, r, cols); err != nil {
		return fmt.Errorf("web: unable to write the export: %w", err)
	}
	name := "Tìm kiếm văn bản " + time.Now().In(domain.VietnamTime).Format("2006-01-02 15.04") + ".csv"
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, documents.ContentDisposition("attachment", name))
	return c.Send(buf.Bytes())
}

// saveSearchSubmit keeps the search of the form under the name typed.
func (s *Server) saveSearchSubmit(c *fiber.Ctx) error {
	args := url.Values{}
	c.Context().PostArgs().VisitAll(func(k, val []byte) { args.Add(string(k), string(val)) })
	name := args.Get("name")
	for _, k := range []string{"name", "_csrf", "page", "limit"} {
		args.Del(k)
	}
	f, cols, perr := documents.ParseSearch(args)
	err := perr
	if err == nil {
		_, err = s.docs.SaveSearch(c.UserContext(), httpx.Principal(c), name, f, cols)
	}
	if err != nil {
		pr, ok := s.formProblem(err)
		if !ok {
			return err
		}
		d := s.page(c, "Tìm kiếm văn bản")
		d.Wide = true
		v := &searchView{Origins: searchOrigins}
		v.setColumns(cols)
		d.S = v
		if perr == nil {
			// Only the name was refused: the results and the save form
			// come back with the search, for another name.
			if r, serr := s.docs.Search(c.UserContext(), httpx.Principal(c), f); serr == nil {
				v.Result, v.Params = &r, f.Values(cols)
				v.Export = "/search/export?" + v.Params.Encode()
			}
		}
		for k := range args {
			d.Form[k] = args.Get(k)
		}
		d.Form["name"] = name
		d.Error, d.Fields = pr.Message, pr.Fields
		return s.render(c, pr.Status, "search", d)
	}
	q := f.Values(cols)
	q.Set("done", "saved")
	return c.Redirect("/search?"+q.Encode(), fiber.StatusSeeOther)
}

// deleteSearchSubmit removes one of the user's saved searches.
func (s *Server) deleteSearchSubmit(c *fiber.Ctx) error {
	id, err := httpx.PathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.docs.DeleteSavedSearch(c.UserContext(), httpx.Principal(c), id); err != nil {
		return err
	}
	return c.Redirect("/search?done=deleted", fiber.StatusSeeOther)
}

func init() {
	for k, v := range map[string]string{"q": "Từ khóa", "issuer": "Cơ quan ban hành", "type": "Loại văn bản", "origin": "Nguồn",
		"sort": "Sắp xếp", "page": "Trang", "columns": "Cột hiển thị", "name": "Tên tìm kiếm", "before": "Trang trước"} {
		if _, ok := fieldLabels[k]; !ok {
			fieldLabels[k] = v
		}
	}
}

// inboxPageURL is the link to the inbox page next to this one (key cursor:
// after, before: before it), "" when there is none.
func inboxPageURL(tab, q, key, cursor string) string {
	if cursor == "" {
		return ""
	}
	v := url.Values{key: {cursor}}
	if tab != "" {
		v.Set("tab", tab)
	}
	if q != "" {
		v.Set("q", q)
	}
	return "/inbox?" + v.Encode()
}

// documentsSearch is the documents list's search box: the search of
// /search, so that a document that reached the unit is found as well as
// the unit's own. It fills d.Docs and d.Next.
func (s *Server) documentsSearch(c *fiber.Ctx, d *pageData) error {
	args := url.Values{}
	for _, k := range []string{"q", "type", "status", "from", "to", "page"} {
		if v := c.Query(k); v != "" {
			args.Set(k, v)
		}
	}
	f, _, err := documents.ParseSearch(args)
	if err != nil {
		return err
	}
	f.Limit = 50
	r, err := s.docs.Search(c.UserContext(), httpx.Principal(c), f)
	if err != nil {
		return err
	}
	for _, h := range r.Items {
		d.Docs = append(d.Docs, h.Document)
	}
	if r.HasNext() {
		args.Set("page", strconv.Itoa(r.Page+1))
		d.Next = "/documents?" + args.Encode()
	}
	return nil
}
