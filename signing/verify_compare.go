// The state of one revision (pages, their content, annotations, the
// catalog) and the keys that compare objects across revisions, for the
// classification of changes in verify_changes.go.

package signing

import (
	"crypto"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/digitorus/pdf"
)

// docState indexes one revision: its pages, what their content is made
// of, their annotations and the objects of the catalog.
func (v *verification) state(end int64, r *pdf.Reader) *docState {
	if d, ok := v.states[end]; ok {
		return d
	}
	d := newDocState(r)
	v.states[end] = d
	return d
}

// addedAnnotParts returns the objects that annotations added in b draw
// with (appearance streams, pop-ups).
func addedAnnotParts(a, b *docState) map[uint32]bool {
	out := map[uint32]bool{}
	for id := range b.annots {
		if a.annots[id] == 0 {
			if o, err := b.r.GetObject(id); err == nil {
				collectRefs(o, 0, out, b.pageNo, 6)
			}
		}
	}
	return out
}

// collectRefs adds to out the objects v refers to, down to depth levels,
// not following /P and /Parent, nor into pages.
func collectRefs(v pdf.Value, parent uint32, out map[uint32]bool, pages map[uint32]int, depth int) {
	if depth < 0 || v.IsNull() {
		return
	}
	if id := v.GetPtr().GetID(); id != 0 && id != parent {
		if out[id] || pages[id] != 0 {
			return
		}
		out[id] = true
		parent = id
	}
	switch v.Kind() {
	case pdf.Array:
		for i := 0; i < v.Len(); i++ {
			collectRefs(v.Index(i), parent, out, pages, depth-1)
		}
	case pdf.Dict, pdf.Stream:
		for _, k := range v.Keys() {
			if k != "P" && k != "Parent" {
				collectRefs(v.Key(k), parent, out, pages, depth-1)
			}
		}
	}
}

type docState struct {
	r          *pdf.Reader
	root       pdf.Value
	pages      []pdf.Value
	pageIDs    []uint32
	pageNo     map[uint32]int
	treeNodes  map[uint32]bool
	content    map[uint32]int
	annots     map[uint32]int
	structural map[uint32]bool
	dss        map[uint32]bool
	infoID     uint32
}

var resourceCategories = []string{"Font", "XObject", "ExtGState", "Pattern", "Shading", "Properties", "ColorSpace"}

func newDocState(r *pdf.Reader) *docState {
	d := &docState{r: r, root: r.Trailer().Key("Root"), pageNo: map[uint32]int{}, treeNodes: map[uint32]bool{},
		content: map[uint32]int{}, annots: map[uint32]int{}, structural: map[uint32]bool{}, dss: map[uint32]bool{}}
	d.infoID = refID(r.Trailer().Key("Info"), r.Trailer())
	d.structural[d.root.GetPtr().GetID()] = true
	af := d.root.Key("AcroForm")
	d.structural[refID(af, d.root)] = true
	d.structural[refID(af.Key("Fields"), af)] = true
	visited := map[uint32]bool{}
	var walk func(n pdf.Value, depth int)
	walk = func(n pdf.Value, depth int) {
		id := n.GetPtr().GetID()
		if depth > 64 || visited[id] || len(d.pages) > 1<<20 {
			return
		}
		visited[id] = true
		if n.Key("Type").Name() == "Pages" || n.Key("Kids").Kind() == pdf.Array {
			d.treeNodes[id] = true
			kids := n.Key("Kids")
			d.structural[refID(kids, n)] = true
			for i := 0; i < kids.Len(); i++ {
				walk(kids.Index(i), depth+1)
			}
			return
		}
		d.pages = append(d.pages, n)
		d.pageIDs = append(d.pageIDs, id)
		no := len(d.pages)
		d.pageNo[id] = no
		d.addContent(n, no)
		annots := n.Key("Annots")
		d.structural[refID(annots, n)] = true
		for i := 0; i < annots.Len(); i++ {
			if a := refID(annots.Index(i), annots); a != 0 {
				d.annots[a] = no
			}
		}
	}
	walk(d.root.Key("Pages"), 0)
	collectRefs(d.root.Key("DSS"), d.root.GetPtr().GetID(), d.dss, nil, 8)
	delete(d.structural, 0)
	delete(d.content, 0)
	delete(d.annots, 0)
	return d
}

// addContent records the objects that make up a page's appearance: its
// content streams, its resources and the resources' entries.
func (d *docState) addContent(page pdf.Value, no int) {
	c := page.Key("Contents")
	if c.Kind() == pdf.Array {
		d.content[refID(c, page)] = no
		for i := 0; i < c.Len(); i++ {
			d.content[refID(c.Index(i), c)] = no
		}
	} else {
		d.content[refID(c, page)] = no
	}
	res := page.Key("Resources")
	d.content[refID(res, page)] = no
	for _, cat := range resourceCategories {
		sub := res.Key(cat)
		d.content[refID(sub, res)] = no
		for _, k := range sub.Keys() {
			d.content[refID(sub.Key(k), sub)] = no
		}
	}
}

// refID returns the object number v was reached through, or 0 if v is a
// direct value inside parent.
func refID(v, parent pdf.Value) uint32 {
	if v.IsNull() || v.GetPtr() == parent.GetPtr() {
		return 0
	}
	return v.GetPtr().GetID()
}

func equalIDs(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// compareAnnots reports annotations added to or removed from each page;
// signature widgets of the file's signatures are not annotations here.
func compareAnnots(cs *changeSet, a, b *docState, sigParts map[uint32]bool) {
	for i, pb := range b.pages {
		var before map[string]bool
		if i < len(a.pages) {
			before = annotKeys(a.pages[i])
		}
		after := annotKeys(pb)
		for k := range after {
			if before[k] {
				continue
			}
			if id, err := strconv.ParseUint(strings.TrimPrefix(k, "#"), 10, 32); err == nil && sigParts[uint32(id)] {
				continue
			}
			if text, ok := issueMarkOf(pb, k); ok {
				cs.add(ChangeIssueMarks, text)
				continue
			}
			cs.add(ChangeAnnotations, fmt.Sprintf("page %d: %s annotation", i+1, annotSubtype(pb, k)))
		}
		for k := range before {
			if !after[k] {
				cs.add(ChangeOther, fmt.Sprintf("page %d: an annotation was removed", i+1))
			}
		}
	}
}

// annotKeys identifies a page's annotations: "#id" for indirect ones, a
// serialisation for direct ones.
func annotKeys(page pdf.Value) map[string]bool {
	out := map[string]bool{}
	annots := page.Key("Annots")
	for i := 0; i < annots.Len(); i++ {
		a := annots.Index(i)
		if id := refID(a, annots); id != 0 {
			out["#"+strconv.FormatUint(uint64(id), 10)] = true
		} else {
			out[valueKey(a, annots.GetPtr().GetID(), 1, map[uint32]bool{})] = true
		}
	}
	return out
}

func annotSubtype(page pdf.Value, key string) string {
	annots := page.Key("Annots")
	for i := 0; i < annots.Len(); i++ {
		a := annots.Index(i)
		if "#"+strconv.FormatUint(uint64(refID(a, annots)), 10) == key {
			if st := a.Key("Subtype").Name(); st != "" {
				return "/" + st
			}
		}
	}
	return "an"
}

// compareCatalog reports changes to the catalog other than the form's
// signature fields and the version, and whether the DSS changed.
func compareCatalog(cs *changeSet, a, b *docState, sigParts map[uint32]bool) (dssChanged bool) {
	skip := map[string]bool{"AcroForm": true, "Version": true, "Type": true, "DSS": true}
	if dictKey(a.root, skip) != dictKey(b.root, skip) {
		cs.add(ChangeOther, "document catalog changed")
	}
	if valueKey(a.root.Key("DSS"), a.root.GetPtr().GetID(), 1, map[uint32]bool{}) != valueKey(b.root.Key("DSS"), b.root.GetPtr().GetID(), 1, map[uint32]bool{}) {
		cs.add(ChangeValidationData, "document security store")
		dssChanged = true
	}
	afA, afB := a.root.Key("AcroForm"), b.root.Key("AcroForm")
	formSkip := map[string]bool{"Fields": true, "SigFlags": true, "DA": true, "DR": true, "NeedAppearances": true}
	if dictKey(afA, formSkip) != dictKey(afB, formSkip) {
		cs.add(ChangeOther, "form settings changed")
	}
	fa, fb := fieldIDs(afA), fieldIDs(afB)
	for id := range fb {
		if !fa[id] && !sigParts[id] {
			cs.add(ChangeOther, fmt.Sprintf("form field %d added", id))
		}
	}
	for id := range fa {
		if !fb[id] {
			cs.add(ChangeOther, fmt.Sprintf("form field %d removed", id))
		}
	}
	return dssChanged
}

func fieldIDs(af pdf.Value) map[uint32]bool {
	out := map[uint32]bool{}
	f := af.Key("Fields")
	for i := 0; i < f.Len(); i++ {
		if id := refID(f.Index(i), f); id != 0 {
			out[id] = true
		}
	}
	return out
}

func pageKey(p pdf.Value) string {
	return dictKey(p, map[string]bool{"Annots": true, "Parent": true})
}

func treeNodeKey(p pdf.Value) string {
	return dictKey(p, map[string]bool{"Kids": true, "Count": true, "Parent": true})
}

func dictKey(d pdf.Value, skip map[string]bool) string {
	var sb strings.Builder
	id := d.GetPtr().GetID()
	visited := map[uint32]bool{id: true}
	for _, k := range d.Keys() {
		if skip[k] {
			continue
		}
		sb.WriteString("/" + k + " ")
		sb.WriteString(valueKey(d.Key(k), id, 1, visited))
		sb.WriteString(" ")
	}
	return sb.String()
}

// objectKey serialises a top-level object, with a digest of its stream.
func objectKey(o pdf.Value) string {
	id := o.GetPtr().GetID()
	k := valueKey(o, id, 0, map[uint32]bool{id: true})
	if o.Kind() == pdf.Stream {
		k += " stream:" + streamDigest(o)
	}
	return k
}

func streamDigest(o pdf.Value) string {
	h := crypto.SHA256.New()
	rc := o.Reader()
	defer rc.Close()
	buf := make([]byte, 32<<10)
	var total int
	for {
		n, err := rc.Read(buf)
		h.Write(buf[:n])
		total += n
		if err == io.EOF {
			break
		}
		if err != nil {
			return "unreadable:" + err.Error()
		}
	}
	return fmt.Sprintf("%x:%d", h.Sum(nil), total)
}

// valueKey serialises v, found inside object parent, for comparison. It
// resolves references to dictionaries and arrays, so that the same content
// written inline or by reference compares equal; streams, pages,
// annotations and signatures are named by object number, and their own
// rewrites are checked separately.
func valueKey(v pdf.Value, parent uint32, depth int, visited map[uint32]bool) string {
	if depth > 12 {
		return "…"
	}
	id := v.GetPtr().GetID()
	if depth > 0 && id != 0 && id != parent {
		if visited[id] {
			return fmt.Sprintf("ref#%d", id)
		}
		switch v.Kind() {
		case pdf.Stream:
			return fmt.Sprintf("stream#%d", id)
		case pdf.Dict:
			switch t := v.Key("Type").Name(); t {
			case "Page", "Pages", "Annot", "Sig":
				return fmt.Sprintf("%s#%d", t, id)
			}
		}
		visited[id] = true
		parent = id
	}
	switch v.Kind() {
	case pdf.Null:
		return "null"
	case pdf.Bool:
		return strconv.FormatBool(v.Bool())
	case pdf.Integer:
		return strconv.FormatInt(v.Int64(), 10)
	case pdf.Real:
		return strconv.FormatFloat(v.Float64(), 'g', -1, 64)
	case pdf.String:
		return "<" + hex.EncodeToString([]byte(v.RawString())) + ">"
	case pdf.Name:
		return "/" + v.Name()
	case pdf.Array:
		var sb strings.Builder
		sb.WriteString("[")
		for i := 0; i < v.Len(); i++ {
			sb.WriteString(valueKey(v.Index(i), parent, depth+1, visited))
			sb.WriteString(" ")
		}
		sb.WriteString("]")
		return sb.String()
	case pdf.Dict, pdf.Stream:
		var sb strings.Builder
		sb.WriteString("<<")
		for _, k := range v.Keys() {
			sb.WriteString("/" + k + " ")
			sb.WriteString(valueKey(v.Key(k), parent, depth+1, visited))
			sb.WriteString(" ")
		}
		sb.WriteString(">>")
		return sb.String()
	}
	return "?"
}
