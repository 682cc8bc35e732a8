package meetings_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hcm-edu/vanban/meetings"
	"github.com/hcm-edu/vanban/web"
)

// TestEventKindsInOnePlace checks that every event kind is a constant
// listed by EventKinds, and that no publish names a kind by a string
// literal, which the compiler would accept for a typed string.
func TestEventKindsInOnePlace(t *testing.T) {
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	var declared []meetings.EventKind
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "EventKind" {
					for _, v := range n.Values {
						lit, ok := v.(*ast.BasicLit)
						if !ok {
							t.Errorf("%s: an event kind that is not a string constant", fset.Position(v.Pos()))
							continue
						}
						s, _ := strconv.Unquote(lit.Value)
						declared = append(declared, meetings.EventKind(s))
					}
				}
			case *ast.CompositeLit:
				if id, ok := n.Type.(*ast.Ident); ok && id.Name == "Event" {
					for _, e := range n.Elts {
						if kv, ok := e.(*ast.KeyValueExpr); ok && kv.Key.(*ast.Ident).Name == "Kind" {
							if _, lit := kv.Value.(*ast.BasicLit); lit {
								t.Errorf("%s: an event kind written as a literal; use its constant", fset.Position(kv.Value.Pos()))
							}
						}
					}
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "publishKind" && len(n.Args) == 4 {
					if _, lit := n.Args[3].(*ast.BasicLit); lit {
						t.Errorf("%s: an event kind written as a literal; use its constant", fset.Position(n.Args[3].Pos()))
					}
				}
			}
			return true
		})
	}
	kinds := meetings.EventKinds()
	slices.Sort(declared)
	slices.Sort(kinds)
	if len(declared) == 0 || !slices.Equal(declared, kinds) {
		t.Errorf("declared kinds %v, EventKinds %v", declared, kinds)
	}

	h := meetings.NewHub(nil, "", slog.New(slog.DiscardHandler))
	if err := h.Publish(context.Background(), meetings.Event{MeetingID: 1, Kind: "agnda"}); err == nil {
		t.Error("an event of an unknown kind was published")
	}
}

// TestPageHandlesEveryEventKind checks that the meeting page listens to
// every kind the server publishes: the template writes EventKinds into the
// page, the script subscribes to each, and the one kind with a handler of
// its own (the removal) is handled by name.
func TestPageHandlesEveryEventKind(t *testing.T) {
	tmpl, err := fs.ReadFile(web.Templates(), "templates/meeting.html")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(tmpl), `<script type="application/json" id="meeting-event-kinds">{{mEventKinds}}</script>`) {
		t.Error("meeting.html does not write the event kinds into the page")
	}
	js, err := fs.ReadFile(web.Static(), "meeting.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`JSON.parse(document.getElementById("meeting-event-kinds").textContent)`,
		`kinds.forEach(function (k) {`,
		`source.addEventListener(k, k === ` + strconv.Quote(string(meetings.EventRemoved)) + ` ? lost : function () { schedule(); });`,
	} {
		if !strings.Contains(string(js), want) {
			t.Errorf("meeting.js does not say %s", want)
		}
	}
	if strings.Contains(string(js), `addEventListener("`+string(meetings.EventRemoved)) {
		t.Error("meeting.js listens to the removal apart from the kinds the server lists")
	}
}
