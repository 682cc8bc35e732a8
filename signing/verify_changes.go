// What was written after each signature: each incremental update is read
// as a revision of its own and classified (a later signature, validation
// data, annotations, page content, anything else).

package signing

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/digitorus/pdf"
)

// changes classifies what was written after each signature.
func (v *verification) changes(rep *Report) {
	var ordered []*checkedSig
	for _, s := range v.sigs {
		if s.brOK {
			ordered = append(ordered, s)
		}
	}
	sort.Slice(ordered, func(i, j int) bool { return ordered[i].end() < ordered[j].end() })
	n := int64(len(v.in))
	if len(ordered) == 0 {
		rep.ModifiedAfterLastSignature = len(v.sigs) > 0
		return
	}
	sigByEnd := map[int64]*checkedSig{}
	for _, s := range ordered {
		sigByEnd[s.end()] = s
	}
	// segments[i] is what follows ordered[i] up to the next signature's end.
	segments := make([][]Change, len(ordered))
	for i, s := range ordered {
		end := n
		var later *checkedSig
		if i+1 < len(ordered) {
			end = ordered[i+1].end()
			later = ordered[i+1]
		}
		if end == s.end() {
			continue
		}
		segments[i] = v.segment(s.end(), end, later)
	}
	for i, s := range ordered {
		var after []Change
		for _, seg := range segments[i:] {
			after = append(after, seg...)
		}
		r := &s.rep
		r.ChangesAfter = append([]Change{}, after...)
		switch {
		case s.end() == n:
			r.CoversWholeDocument, r.Coverage = true, CoverageWhole
		case onlyAllowed(after) && hasKind(after, ChangeLaterSignature):
			r.CoversWholeDocument, r.Coverage = true, CoverageUpToLater
		case onlyAllowed(after):
			r.CoversWholeDocument, r.Coverage = true, CoverageUpToDSS
		default:
			r.Coverage = CoverageNotTheWhole
		}
	}
	for i, s := range v.sigs {
		rep.Signatures[i].ChangesAfter = s.rep.ChangesAfter
		rep.Signatures[i].CoversWholeDocument = s.rep.CoversWholeDocument
		rep.Signatures[i].Coverage = s.rep.Coverage
	}
	last := ordered[len(ordered)-1]
	if segments[len(ordered)-1] != nil {
		rep.Appended = segments[len(ordered)-1]
	}
	rep.ModifiedAfterLastSignature = last.end() != n && !onlyAllowed(rep.Appended)
}

// reader returns a reader of in[:end]: the document as it was when the
// revision ending there was written.
func (v *verification) reader(end int64) (r *pdf.Reader, err error) {
	if r, ok := v.readers[end]; ok {
		return r, nil
	}
	// A revision ends with %%EOF; cut anywhere else, an object could end
	// in the middle of a string, on which the parser loops.
	if !bytes.HasSuffix(bytes.TrimRight(v.in[:end], "\r\n"), []byte("%%EOF")) {
		return nil, fmt.Errorf("byte %d is not the end of a revision", end)
	}
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("%v", p)
		}
	}()
	r, err = pdf.NewReader(bytes.NewReader(v.in[:end]), end)
	if err == nil {
		v.readers[end] = r
	}
	return r, err
}

type changeSet struct {
	list  []Change
	seen  map[Change]bool
	kinds map[string]int
}

const maxChangesPerKind = 12

func (c *changeSet) add(kind, detail string) {
	if c.seen == nil {
		c.seen, c.kinds = map[Change]bool{}, map[string]int{}
	}
	ch := newChange(kind, detail)
	if c.seen[ch] {
		return
	}
	c.seen[ch] = true
	c.kinds[kind]++
	switch n := c.kinds[kind]; {
	case n < maxChangesPerKind:
		c.list = append(c.list, ch)
	case n == maxChangesPerKind:
		c.list = append(c.list, newChange(kind, "and more"))
	}
}

var objHeader = regexp.MustCompile(`(?:^|[^0-9])([0-9]{1,10})[ \t\r\n\f\x00]+[0-9]{1,5}[ \t\r\n\f\x00]+obj\b`)

// segment classifies what was written between the end of one signature
// and the end of the next (later), or the end of the file.
func (v *verification) segment(start, end int64, later *checkedSig) (out []Change) {
	u := &updateAnalysis{v: v, later: later}
	defer func() {
		if p := recover(); p != nil {
			u.cs.add(ChangeOther, fmt.Sprintf("the update could not be analysed: %v", p))
		}
		out = u.result()
	}()
	u.analyse(start, end)
	return
}

// updateAnalysis is the analysis of one incremental update: the
// revisions before (a) and after (b) it, and what it found so far.
type updateAnalysis struct {
	v        *verification
	later    *checkedSig // the signature the update ends with, if any
	cs       changeSet
	laterSig bool     // the update holds the later signature
	material []uint32 // new objects, reported only if no signature or validation data came with them
	rA, rB   *pdf.Reader
	a, b     *docState
	sigParts map[uint32]bool // objects of signature fields and their values
	laterID  uint32
}

// result is the changes found, the later signature first.
func (u *updateAnalysis) result() []Change {
	if !u.laterSig {
		// Issue marks no signature covers are annotations like any other.
		for i, c := range u.cs.list {
			if c.Kind == ChangeIssueMarks {
				u.cs.list[i] = newChange(ChangeAnnotations, c.Detail+" (not covered by a later signature)")
			}
		}
		return u.cs.list
	}
	who := u.later.rep.Signer
	if who == "" {
		who = u.later.rep.Name
	}
	return append([]Change{newChange(ChangeLaterSignature, fmt.Sprintf("field %q signed by %s", u.later.rep.Field, who))}, u.cs.list...)
}

func (u *updateAnalysis) analyse(start, end int64) {
	data := u.v.in[start:end]
	if !u.checkTrailer(data) || !u.openRevisions(start, end) {
		return
	}
	defined, freed := u.v.definedObjects(start, data, u.rB)
	u.a, u.b = u.v.state(start, u.rA), u.v.state(end, u.rB)
	dssChanged := u.compareStructure()
	if u.later != nil {
		u.laterID = u.later.f.v.GetPtr().GetID()
	}
	for _, id := range defined {
		u.definedObject(id)
	}
	for _, id := range freed {
		u.freedObject(id)
	}
	// new objects that no page, form or annotation uses come with
	// signatures and validation data; alone, they are reported
	if !u.laterSig && !dssChanged && len(u.material) > 0 {
		u.reportNewObjects()
	}
}

// checkTrailer reports bytes that are not an incremental update; false
// when there is no update to read at all.
func (u *updateAnalysis) checkTrailer(data []byte) bool {
	eof := bytes.LastIndex(data, []byte("%%EOF"))
	if eof < 0 {
		u.cs.add(ChangeTrailingBytes, fmt.Sprintf("%d bytes that are not an incremental update", len(data)))
		return false
	}
	if tail := bytes.Trim(data[eof+5:], " \t\r\n\f\x00"); len(tail) > 0 {
		u.cs.add(ChangeTrailingBytes, fmt.Sprintf("%d bytes after the last %%%%EOF", len(tail)))
	}
	return true
}

// openRevisions reads the document as signed (ending at start) and as
// updated (ending at end).
func (u *updateAnalysis) openRevisions(start, end int64) bool {
	var err error
	if u.rA, err = u.v.reader(start); err != nil {
		u.cs.add(ChangeOther, fmt.Sprintf("the signed revision cannot be read: %v", err))
		return false
	}
	if u.rB, err = u.v.reader(end); err != nil {
		u.cs.add(ChangeOther, fmt.Sprintf("the update cannot be read: %v", err))
		return false
	}
	return true
}

// compareStructure compares the page list, the annotations and the
// catalog of the two revisions, and reports whether validation data (the
// DSS) changed.
func (u *updateAnalysis) compareStructure() (dssChanged bool) {
	a, b := u.a, u.b
	if !equalIDs(a.pageIDs, b.pageIDs) {
		u.cs.add(ChangePageContent, fmt.Sprintf("the pages changed (%d before, %d after)", len(a.pageIDs), len(b.pageIDs)))
	}
	u.sigParts = map[uint32]bool{}
	for _, s := range u.v.sigs {
		u.sigParts[s.f.v.GetPtr().GetID()] = true
		u.sigParts[s.f.field.GetPtr().GetID()] = true
	}
	compareAnnots(&u.cs, a, b, u.sigParts)
	return compareCatalog(&u.cs, a, b, u.sigParts)
}

// definedObject classifies an object the update writes.
func (u *updateAnalysis) definedObject(id uint32) {
	vB, err := u.rB.GetObject(id)
	if err != nil || vB.IsNull() {
		return
	}
	vA, errA := u.rA.GetObject(id)
	existed := errA == nil && !vA.IsNull()
	if existed && objectKey(vA) == objectKey(vB) {
		return
	}
	typ := vB.Key("Type").Name()
	switch {
	case typ == "XRef" || typ == "ObjStm":
	case id == u.laterID && u.laterID != 0:
		u.laterSig = true
	case u.sigParts[id]:
		if !existed {
			u.material = append(u.material, id)
		} else {
			u.cs.add(ChangeOther, fmt.Sprintf("signature object %d rewritten", id))
		}
	case u.pageObject(id, vA, vB, existed):
	default:
		u.otherObject(id, existed)
	}
}

// pageObject classifies an object that is a page, a node of the page
// tree or part of a page's content; false when it is none of those.
func (u *updateAnalysis) pageObject(id uint32, vA, vB pdf.Value, existed bool) bool {
	a, b := u.a, u.b
	page, isPage := b.pageNo[id]
	if !isPage {
		page, isPage = a.pageNo[id]
	}
	switch {
	case isPage:
		if existed && pageKey(vA) != pageKey(vB) {
			u.cs.add(ChangePageContent, fmt.Sprintf("page %d rewritten (object %d)", page, id))
		}
	case a.treeNodes[id] || b.treeNodes[id]:
		if existed && treeNodeKey(vA) != treeNodeKey(vB) {
			u.cs.add(ChangePageContent, fmt.Sprintf("page tree node %d rewritten", id))
		}
	case a.content[id] != 0 || b.content[id] != 0:
		p := a.content[id]
		if p == 0 {
			p = b.content[id]
		}
		u.cs.add(ChangePageContent, fmt.Sprintf("content or resources of page %d (object %d)", p, id))
	default:
		return false
	}
	return true
}

// otherObject classifies an object the update writes that is neither a
// signature's nor a page's.
func (u *updateAnalysis) otherObject(id uint32, existed bool) {
	a, b := u.a, u.b
	switch {
	case a.structural[id] || b.structural[id]:
		// catalog, form and annotation arrays: compared in compareStructure
	case a.dss[id] || b.dss[id]:
		// validation data: the DSS was compared in compareStructure
	case id == a.infoID || id == b.infoID:
		u.cs.add(ChangeOther, "document information dictionary rewritten")
	case a.annots[id] != 0 && existed:
		u.cs.add(ChangeOther, fmt.Sprintf("annotation %d on page %d modified", id, a.annots[id]))
	case b.annots[id] != 0:
		// added annotations: compared in compareStructure
	case !existed:
		u.material = append(u.material, id)
	default:
		u.cs.add(ChangeOther, fmt.Sprintf("object %d rewritten", id))
	}
}

// freedObject classifies an object the update frees.
func (u *updateAnalysis) freedObject(id uint32) {
	if vA, err := u.rA.GetObject(id); err != nil || vA.IsNull() {
		return
	}
	a := u.a
	switch {
	case a.pageNo[id] != 0 || a.treeNodes[id]:
		u.cs.add(ChangePageContent, fmt.Sprintf("page object %d deleted", id))
	case a.content[id] != 0:
		u.cs.add(ChangePageContent, fmt.Sprintf("content or resources of page %d deleted (object %d)", a.content[id], id))
	case a.annots[id] != 0:
		u.cs.add(ChangeOther, fmt.Sprintf("annotation %d on page %d deleted", id, a.annots[id]))
	case u.sigParts[id]:
		u.cs.add(ChangeOther, fmt.Sprintf("signature object %d deleted", id))
	default:
		u.cs.add(ChangeOther, fmt.Sprintf("object %d deleted", id))
	}
}

// reportNewObjects reports the new objects that came without a signature
// or validation data; annotations and what they draw with were reported
// by compareStructure.
func (u *updateAnalysis) reportNewObjects() {
	parts := addedAnnotParts(u.a, u.b)
	for _, id := range u.material {
		if u.b.annots[id] != 0 || u.sigParts[id] || parts[id] {
			continue
		}
		u.cs.add(ChangeOther, fmt.Sprintf("new object %d", id))
	}
	u.material = nil
}

// definedObjects lists the objects an update defines: every "n g obj"
// header in it, every object in its object streams and cross-reference
// sections, and separately the objects its sections free.
func (v *verification) definedObjects(start int64, data []byte, rB *pdf.Reader) (defined, freed []uint32) {
	set := map[uint32]bool{}
	for _, m := range objHeader.FindAllSubmatch(data, -1) {
		if id, err := strconv.ParseUint(string(m[1]), 10, 32); err == nil && id > 0 {
			set[uint32(id)] = true
		}
	}
	freedSet := map[uint32]bool{}
	for off := 0; ; {
		i := bytes.Index(data[off:], []byte("%%EOF"))
		if i < 0 {
			break
		}
		off += i + 5
		r, err := v.reader(start + int64(off))
		if err != nil {
			continue
		}
		used, free := xrefSection(v.in, start, r)
		for _, id := range used {
			set[id] = true
		}
		for _, id := range free {
			freedSet[id] = true
		}
	}
	for id := range set {
		o, err := rB.GetObject(id)
		if err != nil || o.Key("Type").Name() != "ObjStm" {
			continue
		}
		for _, inner := range objectStreamIDs(o) {
			set[inner] = true
		}
	}
	for id := range set {
		defined = append(defined, id)
	}
	for id := range freedSet {
		if !set[id] {
			freed = append(freed, id)
		}
	}
	sort.Slice(defined, func(i, j int) bool { return defined[i] < defined[j] })
	sort.Slice(freed, func(i, j int) bool { return freed[i] < freed[j] })
	return defined, freed
}

// xrefSection returns the objects the newest cross-reference section of r
// marks in use and free, if that section starts at or after start.
func xrefSection(in []byte, start int64, r *pdf.Reader) (used, free []uint32) {
	pos := r.XrefInformation.StartPos
	if pos < start || pos >= int64(len(in)) {
		return nil, nil
	}
	tr := r.Trailer()
	if tr.Kind() == pdf.Stream {
		return xrefStreamEntries(tr)
	}
	sec := in[pos:]
	if t := bytes.Index(sec, []byte("trailer")); t >= 0 {
		sec = sec[:t]
	}
	toks := strings.Fields(string(sec))
	if len(toks) == 0 || toks[0] != "xref" {
		return nil, nil
	}
	toks = toks[1:]
	for len(toks) >= 2 && toks[0] != "trailer" {
		first, err1 := strconv.Atoi(toks[0])
		n, err2 := strconv.Atoi(toks[1])
		if err1 != nil || err2 != nil || n < 0 || len(toks) < 2+3*n {
			return used, free
		}
		for i := range n {
			id := uint32(first + i)
			switch toks[2+3*i+2] {
			case "n":
				used = append(used, id)
			case "f":
				if id != 0 {
					free = append(free, id)
				}
			}
		}
		toks = toks[2+3*n:]
	}
	return used, free
}

func xrefStreamEntries(x pdf.Value) (used, free []uint32) {
	var w []int
	for i := 0; i < x.Key("W").Len(); i++ {
		w = append(w, int(x.Key("W").Index(i).Int64()))
	}
	if len(w) < 3 {
		return nil, nil
	}
	width := w[0] + w[1] + w[2]
	var index []int
	if idx := x.Key("Index"); idx.Len() >= 2 {
		for i := 0; i < idx.Len(); i++ {
			index = append(index, int(idx.Index(i).Int64()))
		}
	} else {
		index = []int{0, int(x.Key("Size").Int64())}
	}
	data := x.Data()
	for len(index) >= 2 {
		first, n := index[0], index[1]
		index = index[2:]
		for i := 0; i < n; i++ {
			if len(data) < width {
				return used, free
			}
			typ := 1
			if w[0] > 0 {
				typ = int(data[0])
			}
			data = data[width:]
			id := uint32(first + i)
			switch {
			case typ == 0 && id != 0:
				free = append(free, id)
			case typ == 1 || typ == 2:
				used = append(used, id)
			}
		}
	}
	return used, free
}

func objectStreamIDs(o pdf.Value) []uint32 {
	n := int(o.Key("N").Int64())
	first := o.Key("First").Int64()
	data := o.Data()
	if first <= 0 || int64(len(data)) < first {
		return nil
	}
	toks := strings.Fields(string(data[:first]))
	var ids []uint32
	for i := 0; i+1 < len(toks) && i/2 < n; i += 2 {
		if id, err := strconv.ParseUint(toks[i], 10, 32); err == nil {
			ids = append(ids, uint32(id))
		}
	}
	return ids
}
