package api

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		h       string
		off, n  int64
		ok, bad bool
	}{
		{"bytes=0-99", 0, 100, true, false},
		{"bytes=100-", 100, 900, true, false},
		{"bytes=-100", 900, 100, true, false},
		{"bytes=-5000", 0, 1000, true, false},
		{"bytes=990-5000", 990, 10, true, false},
		{"bytes=0-0,5-6", 0, 0, false, false},
		{"items=0-5", 0, 0, false, false},
		{"bytes=1000-", 0, 0, false, true},
		{"bytes=5-4", 0, 0, false, true},
		{"bytes=-0", 0, 0, false, true},
		{"bytes=a-b", 0, 0, false, true},
		{"bytes=", 0, 0, false, true},
	}
	for _, tt := range tests {
		off, n, ok, err := parseRange(tt.h, 1000)
		if (err != nil) != tt.bad || ok != tt.ok || off != tt.off || n != tt.n {
			t.Errorf("parseRange(%q) = %d, %d, %v, %v; want %d, %d, %v, bad=%v", tt.h, off, n, ok, err, tt.off, tt.n, tt.ok, tt.bad)
		}
	}
}

// TestOpenAPIDocument validates the document with kin-openapi and checks
// that it and the route table describe the same API.
func TestOpenAPIDocument(t *testing.T) {
	raw, err := openAPIJSON()
	if err != nil {
		t.Fatal(err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	inDoc := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				t.Errorf("%s %s has no operationId", method, path)
			}
			inDoc[method+" "+path] = op.OperationID
		}
	}
	s := &Server{}
	inTable := map[string]string{}
	for _, r := range s.Routes() {
		if !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		p := r.Path
		for _, seg := range strings.Split(p, "/") {
			if strings.HasPrefix(seg, ":") {
				p = strings.Replace(p, seg, "{"+seg[1:]+"}", 1)
			}
		}
		inTable[r.Method+" "+p] = r.OperationID
	}
	for k, id := range inTable {
		if inDoc[k] != id {
			t.Errorf("route %s (%s) is documented as %q", k, id, inDoc[k])
		}
	}
	for k := range inDoc {
		if _, ok := inTable[k]; !ok {
			t.Errorf("documented %s has no route", k)
		}
	}
	var ids []string
	for _, id := range inDoc {
		ids = append(ids, id)
	}
	for _, need := range []string{"login", "listUnits", "createDocument", "listDocuments", "getDocument", "downloadDocumentVersion"} {
		if !slices.Contains(ids, need) {
			t.Errorf("operationId %s is missing", need)
		}
	}
	var generic map[string]any
	if err := json.Unmarshal(raw, &generic); err != nil || generic["openapi"] != "3.0.3" {
		t.Errorf("served document is not OpenAPI 3 JSON")
	}
}
