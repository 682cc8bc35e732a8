// Opening and reading PDFs that come from anywhere, for Sign and Verify
// alike: the parser's hazards refused before it sees them, encryption told
// apart from damage, and the signature fields a document holds.

package signing

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/digitorus/pdf"
)

// openDocument opens in for signing, telling an encrypted PDF from one that
// does not parse. The reader it returns is the one pdfsign signs with.
func openDocument(in []byte) (*pdf.Reader, error) {
	return openPDF(in)
}

// openPDF opens in for reading, as openDocument does.
func openPDF(in []byte) (r *pdf.Reader, err error) {
	defer func() {
		if p := recover(); p != nil {
			r, err = nil, fmt.Errorf("%w: %v", ErrBadPDF, p)
		}
	}()
	if err := checkParserHazards(in); err != nil {
		return nil, err
	}
	r, err = pdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return nil, openError(in, err)
	}
	if !r.Trailer().Key("Encrypt").IsNull() {
		return nil, errEncrypted
	}
	if err := checkPageTree(r); err != nil {
		return nil, err
	}
	return r, nil
}

const maxPages = 1 << 20

// checkPageTree refuses page trees on which pdfsign.Open (which looks up
// every page by number up to the root's /Count) loops forever: a node
// reached twice, or a /Count larger than the pages there are.
func checkPageTree(r *pdf.Reader) error {
	root := r.Trailer().Key("Root")
	pages := root.Key("Pages")
	seen := map[uint32]bool{}
	leaves := 0
	var walk func(n pdf.Value, id uint32, depth int) error
	walk = func(n pdf.Value, id uint32, depth int) error {
		if depth > 64 {
			return fmt.Errorf("%w: the page tree is deeper than 64 levels", ErrBadPDF)
		}
		if id != 0 {
			if seen[id] {
				return fmt.Errorf("%w: the page tree reaches object %d twice", ErrBadPDF, id)
			}
			seen[id] = true
		}
		if n.Key("Type").Name() != "Pages" {
			if leaves++; leaves > maxPages {
				return fmt.Errorf("%w: more than %d pages", ErrBadPDF, maxPages)
			}
			return nil
		}
		kids := n.Key("Kids")
		for i := 0; i < kids.Len(); i++ {
			if err := walk(kids.Index(i), refID(kids.Index(i), kids), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(pages, refID(pages, root), 0); err != nil {
		return err
	}
	// a /Count a little off is only wrong; far off, it is a loop
	if n := pages.Key("Count").Int64(); n > int64(leaves)+1024 {
		return fmt.Errorf("%w: the page tree claims %d pages and holds %d", ErrBadPDF, n, leaves)
	}
	return nil
}

var errEncrypted = fmt.Errorf("%w: encrypted PDFs (password or AES) cannot be signed or verified; remove the encryption and upload the file again", ErrEncrypted)

func openError(in []byte, err error) error {
	if looksEncrypted(in, err) {
		return errEncrypted
	}
	return fmt.Errorf("%w: %v", ErrBadPDF, err)
}

// checkParserHazards refuses, before the parser (github.com/digitorus/pdf
// v0.2.0) sees them, the constructs on which it loops forever or takes the
// whole process down (out of memory, stack overflow), found by fuzzing
// Verify:
//   - an array still open at the keyword endobj, in an object, a trailer or
//     an object stream, and a hexadecimal string open at the end of the data;
//   - cross-reference /Size, /Index, /W and subsection numbers, predictor
//     /Columns and object stream /N far beyond what the file can hold;
//   - an object stream listed as compressed in an object stream, and
//     object streams that /Extends each other in a cycle.
func checkParserHazards(in []byte) error {
	h := hazardScan{in: in, limit: min(maxObjectNumber, max(8*int64(len(in)), 1<<20)),
		extends: map[int64]int64{}, containers: map[int64]bool{}, compressed: map[int64]bool{}}
	for _, kw := range []string{"trailer", "xref"} {
		for i := 0; ; {
			j := bytes.Index(in[i:], []byte(kw))
			if j < 0 {
				break
			}
			at := i + j
			i = at + len(kw)
			if kw == "xref" && (at > 0 && isRegularByte(in[at-1]) || i < len(in) && isRegularByte(in[i])) {
				continue // startxref, /XRef
			}
			var err error
			if kw == "xref" {
				err = h.xrefTable(i)
			} else if end, hazard := scanForHazard(in, i, false); hazard != "" {
				err = fmt.Errorf("%w: %s at byte %d", ErrBadPDF, hazard, end)
			}
			if err != nil {
				return err
			}
		}
	}
	for i := 0; ; {
		j := bytes.Index(in[i:], []byte("obj"))
		if j < 0 {
			break
		}
		at := i + j
		i = at + 3
		id, ok := objHeaderNumber(in, at)
		if !ok {
			continue
		}
		if err := h.object(id, i); err != nil {
			return err
		}
	}
	return h.cycles()
}

const (
	maxObjectNumber = 8_388_607 // ISO 32000-1, annex C
	maxColumns      = 1 << 20
	maxObjectStream = 64 << 20
	maxHazardScan   = 16 << 20
)

type hazardScan struct {
	in         []byte
	limit      int64
	extends    map[int64]int64
	containers map[int64]bool // object streams that hold objects
	compressed map[int64]bool // objects listed in an object stream
}

func (h *hazardScan) fail(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadPDF, fmt.Sprintf(format, a...))
}

// xrefTable checks the subsection numbers of a classic table at i.
func (h *hazardScan) xrefTable(i int) error {
	for {
		start, i2, ok := readUint(h.in, i)
		if !ok {
			return nil
		}
		count, i3, ok := readUint(h.in, i2)
		if !ok {
			return nil
		}
		if start+count > h.limit {
			return h.fail("cross-reference subsection %d %d beyond %d objects", start, count, h.limit)
		}
		i = i3
		for k := int64(0); k < 3*count; k++ {
			if i = skipToken(h.in, i); i < 0 {
				return nil
			}
		}
	}
}

// object checks the object whose header ends at i.
func (h *hazardScan) object(id int64, i int) error {
	end, hazard := scanForHazard(h.in, i, false)
	if hazard != "" {
		return h.fail("%s in object %d at byte %d", hazard, id, end)
	}
	stop := end
	if stop < 0 {
		stop = min(len(h.in), i+4096)
	}
	dict := h.in[i:stop]
	if err := h.columns(dict, id); err != nil {
		return err
	}
	if end < 0 || !bytes.HasPrefix(h.in[end:], []byte("stream")) {
		return nil
	}
	switch {
	case bytes.Contains(dict, []byte("/XRef")):
		return h.xrefStream(id, dict, end)
	case bytes.Contains(dict, []byte("/ObjStm")):
		return h.objectStream(id, dict, end)
	}
	return nil
}

func (h *hazardScan) columns(dict []byte, id int64) error {
	for _, c := range dictInts(dict, "/Columns") {
		if c > maxColumns {
			return h.fail("/Columns %d in object %d", c, id)
		}
	}
	return nil
}

func (h *hazardScan) xrefStream(id int64, dict []byte, end int) error {
	// a key may appear more than once; check every value
	size := dictInts(dict, "/Size")
	for _, n := range size {
		if n > h.limit {
			return h.fail("cross-reference stream %d has /Size %d", id, n)
		}
	}
	indexes, ws := dictArrays(dict, "/Index"), dictArrays(dict, "/W")
	for _, index := range indexes {
		for k := 0; k+1 < len(index); k += 2 {
			if index[k]+index[k+1] > h.limit {
				return h.fail("cross-reference stream %d has /Index %d %d", id, index[k], index[k+1])
			}
		}
	}
	for _, w := range ws {
		for _, x := range w {
			if x > 8 {
				return h.fail("cross-reference stream %d has /W %v", id, w)
			}
		}
	}
	if len(ws) != 1 || len(ws[0]) < 3 || len(indexes) > 1 || len(size) != 1 || !bytes.Contains(dict, []byte("/FlateDecode")) {
		return nil
	}
	w := ws[0]
	var index []int64
	if len(indexes) == 1 {
		index = indexes[0]
	}
	data, _ := inflateStream(h.in, end+len("stream"))
	cols := int(w[0] + w[1] + w[2])
	if p := dictInts(dict, "/Predictor"); len(p) > 0 && p[0] >= 10 {
		data = pngUp(data, cols)
	}
	if len(index) == 0 {
		index = []int64{0, size[0]}
	}
	for k := 0; k+1 < len(index); k += 2 {
		for n := int64(0); n < index[k+1] && len(data) >= cols; n++ {
			typ := int64(1)
			if w[0] > 0 {
				typ = beUint(data[:w[0]])
			}
			if typ == 2 {
				h.compressed[index[k]+n] = true
				h.containers[beUint(data[w[0]:w[0]+w[1]])] = true
			}
			data = data[cols:]
		}
	}
	return nil
}

func (h *hazardScan) objectStream(id int64, dict []byte, end int) error {
	if x := dictRef(dict, "/Extends"); x > 0 {
		h.extends[id] = x
	}
	var n int64
	for _, v := range dictInts(dict, "/N") {
		n = max(n, v)
	}
	if !bytes.Contains(dict, []byte("/FlateDecode")) {
		if n > h.limit {
			return h.fail("object stream %d has /N %d", id, n)
		}
		return nil
	}
	data, complete := inflateStream(h.in, end+len("stream"))
	if complete && n > int64(len(data))/4+1 {
		return h.fail("object stream %d has /N %d for %d bytes", id, n, len(data))
	}
	// on a stream cut short, the parser meets the error instead of the end
	if end, hazard := scanForHazard(data, 0, true); hazard != "" && (complete || !strings.HasPrefix(hazard, "a hexadecimal")) {
		return h.fail("%s in object stream %d at offset %d", hazard, id, end)
	}
	return h.columns(data, id)
}

// cycles refuses object streams stored in object streams and /Extends
// cycles: the parser recurses or loops on them forever.
func (h *hazardScan) cycles() error {
	for c := range h.containers {
		if h.compressed[c] {
			return h.fail("object stream %d is listed inside an object stream", c)
		}
	}
	for id := range h.extends {
		seen := map[int64]bool{}
		for x, ok := id, true; ok; x, ok = h.extends[x] {
			if seen[x] {
				return h.fail("object streams extend each other in a cycle (object %d)", x)
			}
			seen[x] = true
		}
	}
	return nil
}

// pngUp undoes the PNG Up predictor on rows of cols bytes, the only one the
// parser reads; it stops where the parser fails.
func pngUp(data []byte, cols int) []byte {
	row := cols + 1
	out := make([]byte, 0, len(data)/row*cols)
	prev := make([]byte, cols)
	for len(data) >= row {
		if data[0] != 2 {
			break
		}
		for k := range cols {
			prev[k] += data[1+k]
		}
		out = append(out, prev...)
		data = data[row:]
	}
	return out
}

func beUint(b []byte) int64 {
	var v int64
	for _, c := range b {
		v = v<<8 | int64(c)
	}
	return v
}

// dictInts returns the integers that follow key in d.
func dictInts(d []byte, key string) []int64 {
	var out []int64
	for i := 0; ; {
		j := bytes.Index(d[i:], []byte(key))
		if j < 0 {
			return out
		}
		i += j + len(key)
		if i < len(d) && isRegularByte(d[i]) {
			continue
		}
		if v, _, ok := readUint(d, i); ok {
			out = append(out, v)
		}
	}
}

// dictArrays returns the integers of each array that follows key in d.
func dictArrays(d []byte, key string) [][]int64 {
	var out [][]int64
	for i := 0; ; {
		j := bytes.Index(d[i:], []byte(key))
		if j < 0 {
			return out
		}
		i += j + len(key)
		for i < len(d) && isPDFSpace(d[i]) {
			i++
		}
		if i >= len(d) || d[i] != '[' {
			continue
		}
		var a []int64
		for i++; ; {
			v, next, ok := readUint(d, i)
			if !ok {
				break
			}
			a = append(a, v)
			i = next
		}
		out = append(out, a)
	}
}

// dictRef returns the object number of the reference that follows the
// last key in d: the parser keeps the last of repeated keys.
func dictRef(d []byte, key string) int64 {
	i := bytes.LastIndex(d, []byte(key))
	if i < 0 {
		return 0
	}
	v, _, _ := readUint(d, i+len(key))
	return v
}

// readUint reads an unsigned integer after white space at i, saturating
// instead of overflowing.
func readUint(d []byte, i int) (int64, int, bool) {
	for i < len(d) && isPDFSpace(d[i]) {
		i++
	}
	start := i
	var v int64
	for i < len(d) && d[i] >= '0' && d[i] <= '9' {
		if v < 1<<50 {
			v = v*10 + int64(d[i]-'0')
		}
		i++
	}
	return v, i, i > start
}

func skipToken(d []byte, i int) int {
	for i < len(d) && isPDFSpace(d[i]) {
		i++
	}
	if i >= len(d) {
		return -1
	}
	for i < len(d) && !isPDFSpace(d[i]) {
		i++
	}
	return i
}

// objHeaderNumber returns n if the "obj" at in[at:] ends "n g obj".
func objHeaderNumber(in []byte, at int) (int64, bool) {
	if at+3 < len(in) && isRegularByte(in[at+3]) {
		return 0, false
	}
	k := at - 1
	var num int64
	for pass := 0; pass < 2; pass++ {
		if k < 0 || !isPDFSpace(in[k]) {
			return 0, false
		}
		for k >= 0 && isPDFSpace(in[k]) {
			k--
		}
		end := k + 1
		for k >= 0 && in[k] >= '0' && in[k] <= '9' {
			k--
		}
		if k+1 == end {
			return 0, false
		}
		if pass == 1 {
			num, _, _ = readUint(in, k+1)
		}
	}
	return num, true
}

// scanForHazard lexes d from i. For an indirect object or a trailer it
// stops at the next keyword that ends one (returning where it stopped if
// that is stream); in an object stream it reads to the end.
func scanForHazard(d []byte, i int, objStm bool) (int, string) {
	arrays := 0
	limit := len(d)
	if !objStm {
		limit = min(len(d), i+maxHazardScan)
	}
	for i < limit {
		c := d[i]
		switch {
		case isPDFSpace(c):
			i++
		case c == '%':
			for i < len(d) && d[i] != '\r' && d[i] != '\n' {
				i++
			}
		case c == '(':
			depth := 1
			for i++; i < len(d) && depth > 0; i++ {
				switch d[i] {
				case '\\':
					i++
				case '(':
					depth++
				case ')':
					depth--
				}
			}
		case c == '<':
			if i+1 < len(d) && d[i+1] == '<' {
				i += 2
				continue
			}
			j := bytes.IndexByte(d[i+1:], '>')
			if j < 0 {
				return i, "a hexadecimal string left open"
			}
			i += j + 2
		case c == '[':
			arrays++
			i++
		case c == ']':
			arrays = max(0, arrays-1)
			i++
		case !isRegularByte(c):
			i++
		default:
			j := i
			for j < len(d) && isRegularByte(d[j]) {
				j++
			}
			word := string(d[i:j])
			switch {
			case word == "endobj" && arrays > 0:
				return i, "an array left open at endobj"
			case word == "endobj" && objStm:
				arrays = 0
			case !objStm && (word == "endobj" || word == "obj" || word == "endstream" || word == "startxref" || word == "xref" || word == "trailer"):
				return -1, ""
			case !objStm && word == "stream":
				return i, ""
			}
			i = j
		}
	}
	return -1, ""
}

func isPDFSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '\f', 0:
		return true
	}
	return false
}

func isRegularByte(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return false
	}
	return !isPDFSpace(c)
}

// inflateStream decompresses the Flate data that starts after the keyword
// stream at in[at:]. Data before an error counts: the parser uses it
// before it meets the error; complete says whether there was none.
func inflateStream(in []byte, at int) (data []byte, complete bool) {
	if at < len(in) && in[at] == '\r' {
		at++
	}
	if at < len(in) && in[at] == '\n' {
		at++
	}
	zr, err := zlib.NewReader(bytes.NewReader(in[at:]))
	if err != nil {
		return nil, false
	}
	data, err = io.ReadAll(io.LimitReader(zr, maxObjectStream))
	return data, err == nil
}

// looksEncrypted reports whether a PDF that failed to open is encrypted:
// the reader says so, or the last trailer or cross-reference stream
// dictionary names an /Encrypt dictionary.
func looksEncrypted(in []byte, err error) bool {
	if errors.Is(err, pdf.ErrInvalidPassword) {
		return true
	}
	msg := strings.ToLower(err.Error())
	for _, w := range []string{"encrypt", "password", "aes", "decrypt"} {
		if strings.Contains(msg, w) {
			return true
		}
	}
	tail := in[max(0, len(in)-64<<10):]
	return bytes.Contains(tail, []byte("/Encrypt"))
}

// docMDP returns the DocMDP permission of a signature dictionary that
// certifies the document.
func docMDP(sig pdf.Value) (int, bool) {
	refs := sig.Key("Reference")
	for i := 0; i < refs.Len(); i++ {
		ref := refs.Index(i)
		if ref.Key("TransformMethod").Name() != "DocMDP" {
			continue
		}
		if p := ref.Key("TransformParams").Key("P"); p.Kind() == pdf.Integer {
			return int(p.Int64()), true
		}
		return AllowFormFillingAndSigning, true
	}
	return 0, false
}

// sigField is a signed signature field: its full name, the field object
// and its signature dictionary.
type sigField struct {
	name  string
	field pdf.Value
	v     pdf.Value
}

// signatureFields walks the AcroForm fields, inheriting /FT from parents,
// and returns those of type Sig that hold a signature.
func signatureFields(r *pdf.Reader) []sigField {
	var out []sigField
	seen := map[uint32]bool{}
	var walk func(fields pdf.Value, prefix, ft string, depth int)
	walk = func(fields pdf.Value, prefix, ft string, depth int) {
		if depth > 32 || fields.Kind() != pdf.Array {
			return
		}
		for i := 0; i < fields.Len(); i++ {
			f := fields.Index(i)
			if f.Kind() != pdf.Dict {
				continue
			}
			if id := f.GetPtr().GetID(); id != 0 {
				if seen[id] {
					continue
				}
				seen[id] = true
			}
			name := prefix
			if t := f.Key("T").Text(); t != "" {
				if name != "" {
					name += "."
				}
				name += t
			}
			fft := ft
			if n := f.Key("FT").Name(); n != "" {
				fft = n
			}
			if fft == "Sig" {
				if v := f.Key("V"); v.Kind() == pdf.Dict {
					out = append(out, sigField{name: name, field: f, v: v})
				}
			}
			walk(f.Key("Kids"), name, fft, depth+1)
		}
	}
	walk(r.Trailer().Key("Root").Key("AcroForm").Key("Fields"), "", "", 0)
	return out
}
