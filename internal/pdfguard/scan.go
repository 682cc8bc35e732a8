// The structural scan is one file on purpose: a single-pass tokenizer and
// the checks it feeds share their state (the offsets seen, the object
// streams to revisit, the running inflate budget), and splitting them
// would spread one loop across files. It is past the usual ~700 lines for
// that reason.

package pdfguard

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/ascii85"
	"encoding/hex"
	"fmt"
	"io"
)

// scan makes the structural checks on the raw bytes of a PDF, in one pass
// and without the parsers: every object (in the file and in object
// streams) is read with a nesting limit, every stream's declared length is
// held against the file, every stream that a parser may inflate is inflated
// (and thrown away) up to a limit, and what the parsers size their
// allocations by (declared object counts, image and font sizes, predictor
// columns) is held against limits.
func scan(b []byte, lim Limits) *Error {
	s := &scanner{b: b, lim: lim, maxObj: maxObjects(int64(len(b))), ints: map[int64]int64{}, extends: map[int64]int64{}}
	if err := s.run(); err != nil {
		return err
	}
	for _, l := range s.lengths {
		if n, ok := s.ints[l.num]; ok && (n < 0 || n > int64(len(b)-l.start)) {
			s.obj = l.obj
			return s.badLength(n)
		}
	}
	for from := range s.extends {
		at := from
		for range len(s.extends) + 1 {
			next, ok := s.extends[at]
			if !ok {
				break
			}
			if next == from {
				return refuse(CodeStream, fmt.Sprintf("object streams extend each other in a cycle from %d", from),
					"Các luồng đối tượng trong tệp PDF nối vòng vào nhau; tệp hỏng hoặc được tạo để gây lỗi")
			}
			at = next
		}
	}
	return nil
}

const (
	maxColumns   = 1 << 20 // predictor columns, a row's bytes
	maxObjStm    = 64 << 20
	maxImageSide = 1 << 20
	maxFontCodes = 1 << 16
	maxDictStore = 1024 // elements of an array kept for the checks
)

type scanner struct {
	b       []byte
	pos     int
	lim     Limits
	maxObj  int64
	decoded int64
	obj     int64           // the object being read
	ints    map[int64]int64 // objects that are an integer, for indirect lengths
	lengths []streamLength  // streams with an indirect /Length
	extends map[int64]int64 // object stream → the one it extends
	next    [3]int          // cached positions of the next marks
	marks   [3]string
}

type streamLength struct {
	num, obj int64
	start    int
}

type kind uint8

const (
	kNone kind = iota // end of data or a stray delimiter
	kNull
	kBool
	kInt
	kReal
	kName
	kString
	kArray
	kDict
	kRef
	kKeyword
)

// value is an object as far as the checks need it: scalars, an array's
// first scalar elements and a dictionary's entries of interest; nested
// containers are kept without their contents.
type value struct {
	k     kind
	n     int64 // an integer, a reference's object number, an array's length
	s     string
	elems []value
	keys  []entry
}

type entry struct {
	key string
	v   value
}

func (v value) get(key string) value {
	for _, e := range v.keys {
		if e.key == key {
			return e.v
		}
	}
	return value{}
}

func (v value) shallow() value {
	v.elems, v.keys = nil, nil
	return v
}

func interesting(key []byte) bool {
	switch string(key) {
	case "Type", "Subtype", "Length", "Filter", "DecodeParms", "N", "First", "Extends", "Size", "W", "Index",
		"Prev", "XRefStm", "Width", "Height", "FirstChar", "LastChar", "Widths", "Length1", "Length2", "Length3",
		"Count", "Kids", "Columns":
		return true
	}
	return false
}

func isWhite(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0
}

func isDelim(c byte) bool {
	switch c {
	case '(', ')', '<', '>', '[', ']', '{', '}', '/', '%':
		return true
	}
	return false
}

func isRegular(c byte) bool { return !isWhite(c) && !isDelim(c) }

func (s *scanner) skipWS() {
	b := s.b
	for s.pos < len(b) {
		c := b[s.pos]
		if isWhite(c) {
			s.pos++
		} else if c == '%' {
			for s.pos < len(b) && b[s.pos] != '\n' && b[s.pos] != '\r' {
				s.pos++
			}
		} else {
			return
		}
	}
}

func (s *scanner) regular() []byte {
	start := s.pos
	for s.pos < len(s.b) && isRegular(s.b[s.pos]) {
		s.pos++
	}
	return s.b[start:s.pos]
}

// uint reads an unsigned integer of up to 18 digits.
func (s *scanner) uint() (int64, bool) {
	start := s.pos
	var n int64
	for s.pos < len(s.b) && s.b[s.pos] >= '0' && s.b[s.pos] <= '9' && s.pos-start < 18 {
		n = n*10 + int64(s.b[s.pos]-'0')
		s.pos++
	}
	if s.pos == start || s.pos < len(s.b) && isRegular(s.b[s.pos]) {
		s.pos = start
		return 0, false
	}
	return n, true
}

// stop reports whether a keyword ends the object being read, however
// many containers are still open: a damaged object must not swallow the
// next ones.
func stop(kw string) bool {
	switch kw {
	case "obj", "endobj", "stream", "endstream", "xref", "trailer", "startxref":
		return true
	}
	return false
}

func (s *scanner) tooDeep() *Error {
	return refuse(CodeDepth, fmt.Sprintf("arrays or dictionaries nested deeper than %d at byte %d of object %d", s.lim.MaxDepth, s.pos, s.obj),
		"Tệp PDF lồng mảng hoặc từ điển sâu quá %d mức; tệp hỏng hoặc được tạo để gây quá tải", s.lim.MaxDepth)
}

// value reads one object at depth open containers.
func (s *scanner) value(depth int) (value, *Error) {
	s.skipWS()
	b := s.b
	if s.pos >= len(b) {
		return value{}, nil
	}
	switch c := b[s.pos]; {
	case c == '[':
		if depth >= s.lim.MaxDepth {
			return value{}, s.tooDeep()
		}
		s.pos++
		v := value{k: kArray}
		for {
			s.skipWS()
			if s.pos >= len(b) {
				return v, nil
			}
			if b[s.pos] == ']' {
				s.pos++
				return v, nil
			}
			at := s.pos
			e, err := s.value(depth + 1)
			if err != nil {
				return v, err
			}
			if e.k == kKeyword && stop(e.s) {
				s.pos = at
				return v, nil
			}
			if e.k == kNone {
				continue
			}
			v.n++
			if len(v.elems) < maxDictStore {
				v.elems = append(v.elems, e.shallow())
			}
		}
	case c == '<' && s.pos+1 < len(b) && b[s.pos+1] == '<':
		if depth >= s.lim.MaxDepth {
			return value{}, s.tooDeep()
		}
		s.pos += 2
		v := value{k: kDict}
		for {
			s.skipWS()
			if s.pos >= len(b) {
				break
			}
			if b[s.pos] == '>' && s.pos+1 < len(b) && b[s.pos+1] == '>' {
				s.pos += 2
				break
			}
			at := s.pos
			if b[s.pos] != '/' {
				e, err := s.value(depth + 1)
				if err != nil {
					return v, err
				}
				if e.k == kKeyword && stop(e.s) {
					s.pos = at
					break
				}
				continue // not a key: skip it
			}
			s.pos++
			key := s.regular()
			keep := interesting(key)
			at = s.pos
			e, err := s.value(depth + 1)
			if err != nil {
				return v, err
			}
			if e.k == kKeyword && stop(e.s) {
				s.pos = at
				break
			}
			if keep {
				v.keys = append(v.keys, entry{string(key), e})
			}
		}
		return v, s.checkDict(v)
	case c == '<':
		if i := bytes.IndexByte(b[s.pos:], '>'); i >= 0 {
			s.pos += i + 1
		} else {
			s.pos = len(b)
		}
		return value{k: kString}, nil
	case c == '(':
		s.pos++
		for nest := 1; s.pos < len(b) && nest > 0; s.pos++ {
			switch b[s.pos] {
			case '\\':
				s.pos++
			case '(':
				nest++
			case ')':
				nest--
			}
		}
		return value{k: kString}, nil
	case c == '/':
		s.pos++
		name := s.regular()
		v := value{k: kName}
		if len(name) <= 64 {
			v.s = string(name)
		}
		return v, nil
	case c >= '0' && c <= '9':
		if n, ok := s.uint(); ok {
			// A reference: "n g R".
			at := s.pos
			s.skipWS()
			if _, ok := s.uint(); ok {
				s.skipWS()
				if s.pos < len(b) && b[s.pos] == 'R' && (s.pos+1 == len(b) || !isRegular(b[s.pos+1])) {
					s.pos++
					return value{k: kRef, n: n}, nil
				}
			}
			s.pos = at
			return value{k: kInt, n: n}, nil
		}
		s.regular()
		return value{k: kReal}, nil
	case c == '-' || c == '+' || c == '.':
		tok := s.regular()
		if len(tok) > 1 && tok[0] == '-' && bytes.IndexByte(tok, '.') < 0 {
			return value{k: kInt, n: -1}, nil // negative integers matter only as negative
		}
		return value{k: kReal}, nil
	case isDelim(c):
		s.pos++
		return value{}, nil
	}
	kw := s.regular()
	switch string(kw) {
	case "true", "false":
		return value{k: kBool}, nil
	case "null":
		return value{k: kNull}, nil
	}
	v := value{k: kKeyword}
	if len(kw) <= 16 {
		v.s = string(kw)
	}
	return v, nil
}

// checkDict holds the sizes that parsers allocate by against the limits.
func (s *scanner) checkDict(d value) *Error {
	typ, sub := d.get("Type").s, d.get("Subtype").s
	if c := d.get("Columns"); c.k == kInt && c.n > maxColumns {
		return refuse(CodeStream, fmt.Sprintf("predictor /Columns %d in object %d", c.n, s.obj),
			"Tệp PDF khai báo một luồng dữ liệu có %d cột, quá lớn; tệp hỏng hoặc được tạo để gây quá tải", c.n)
	}
	if typ == "Pages" {
		if c := d.get("Count"); c.k == kInt && c.n > int64(s.lim.MaxPages) {
			return tooManyPages(c.n, s.lim.MaxPages)
		}
		if k := d.get("Kids"); k.k == kArray && k.n > int64(s.lim.MaxPages) {
			return tooManyPages(k.n, s.lim.MaxPages)
		}
	}
	if sub == "Image" {
		w, h := d.get("Width"), d.get("Height")
		if w.k == kInt && h.k == kInt && (w.n > maxImageSide || h.n > maxImageSide || w.n*h.n > s.lim.MaxImagePixels) {
			return refuse(CodeImage, fmt.Sprintf("image of %d×%d pixels in object %d", w.n, h.n, s.obj),
				"Tệp PDF chứa ảnh khai báo kích thước %d×%d điểm ảnh, quá lớn (tối đa %d triệu điểm ảnh); hãy giảm độ phân giải khi quét hoặc xuất tệp",
				w.n, h.n, s.lim.MaxImagePixels/1_000_000)
		}
	}
	first, last := d.get("FirstChar"), d.get("LastChar")
	badFont := first.k == kInt && last.k == kInt && last.n-first.n >= maxFontCodes
	if w := d.get("Widths"); w.k == kArray && w.n > maxFontCodes {
		badFont = true
	}
	for _, k := range []string{"Length1", "Length2", "Length3"} {
		if l := d.get(k); l.k == kInt && l.n > s.lim.MaxStreamDecoded {
			badFont = true
		}
	}
	if badFont {
		return refuse(CodeFont, fmt.Sprintf("font with absurd sizes in object %d", s.obj),
			"Một phông chữ trong tệp PDF khai báo kích thước bất thường; tệp hỏng hoặc được tạo để gây quá tải")
	}
	if typ == "XRef" {
		return s.checkXRef(d)
	}
	return nil
}

func (s *scanner) tooManyObjects(n int64) *Error {
	return refuse(CodeObjects, fmt.Sprintf("%d objects declared in %d bytes", n, len(s.b)),
		"Tệp PDF khai báo %d đối tượng, quá nhiều so với kích thước tệp (%d byte): tệp hỏng hoặc được tạo để gây quá tải", n, len(s.b))
}

func tooManyPages(n int64, max int) *Error {
	return refuse(CodePages, fmt.Sprintf("%d pages", n),
		"Tệp PDF có %d trang, quá giới hạn %d trang; hãy tách tệp thành nhiều văn bản", n, max)
}

func (s *scanner) badXRef(what string) *Error {
	return refuse(CodeXRef, what, "Bảng tham chiếu chéo (xref) của tệp PDF không hợp lệ; tệp hỏng hoặc được tạo để gây lỗi")
}

// checkXRef checks what a cross-reference stream's reader sizes its work by.
func (s *scanner) checkXRef(d value) *Error {
	if n := d.get("Size"); n.k == kInt && n.n > s.maxObj {
		return s.tooManyObjects(n.n)
	}
	if p := d.get("Prev"); p.k == kInt && (p.n < 0 || p.n >= int64(len(s.b))) {
		return s.badXRef(fmt.Sprintf("/Prev %d outside the file", p.n))
	}
	if w := d.get("W"); w.k == kArray {
		for _, e := range w.elems {
			if e.k != kInt || e.n < 0 || e.n > 8 {
				return s.badXRef("field widths /W out of range")
			}
		}
	}
	if ix := d.get("Index"); ix.k == kArray {
		var total int64
		for i := 0; i+1 < len(ix.elems); i += 2 {
			start, n := ix.elems[i], ix.elems[i+1]
			if start.k != kInt || n.k != kInt || start.n < 0 || n.n < 0 {
				return s.badXRef("/Index not made of counts")
			}
			if total += n.n; start.n+n.n > s.maxObj || total > s.maxObj {
				return s.tooManyObjects(max(start.n+n.n, total))
			}
		}
		if ix.n > maxDictStore {
			return s.badXRef("/Index too long")
		}
	}
	return nil
}

func (s *scanner) badLength(n int64) *Error {
	return refuse(CodeStream, fmt.Sprintf("stream /Length %d beyond the end of the file (object %d)", n, s.obj),
		"Tệp PDF khai báo một luồng dữ liệu dài %d byte, vượt quá kích thước tệp; tệp bị cắt cụt, hỏng hoặc được tạo để gây lỗi", n)
}

// run reads the file from one mark to the next: an object header
// "n g obj", a cross-reference table, a trailer.
func (s *scanner) run() *Error {
	s.marks = [3]string{"obj", "xref", "trailer"}
	s.next = [3]int{-1, -1, -1}
	for s.pos < len(s.b) {
		best, at := -1, len(s.b)
		for i, m := range s.marks {
			if s.next[i] < s.pos && s.next[i] != len(s.b) {
				s.next[i] = s.find(m, s.pos)
			}
			if s.next[i] < at {
				best, at = i, s.next[i]
			}
		}
		if best < 0 {
			return nil
		}
		s.pos = at + len(s.marks[best])
		var err *Error
		switch best {
		case 0:
			num, ok := objHeader(s.b, at)
			if !ok {
				continue
			}
			err = s.object(num)
		case 1:
			err = s.xrefTable()
		case 2:
			s.obj = -1
			var t value
			if t, err = s.value(0); err == nil {
				err = s.checkTrailer(t)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// find returns where the next mark m as a whole token is, from i on, or
// len(b).
func (s *scanner) find(m string, i int) int {
	b := s.b
	for {
		j := bytes.Index(b[i:], []byte(m))
		if j < 0 {
			return len(b)
		}
		at := i + j
		end := at + len(m)
		if (at == 0 || !isRegular(b[at-1])) && (end == len(b) || !isRegular(b[end])) {
			return at
		}
		i = end
	}
}

// objHeader reads "n g" before the keyword obj at i.
func objHeader(b []byte, i int) (int64, bool) {
	j := i - 1
	digits := func() (int64, bool) {
		end := j + 1
		for j >= 0 && b[j] >= '0' && b[j] <= '9' {
			j--
		}
		if j+1 == end || end-(j+1) > 18 {
			return 0, false
		}
		var n int64
		for _, c := range b[j+1 : end] {
			n = n*10 + int64(c-'0')
		}
		return n, true
	}
	white := func() bool {
		end := j
		for j >= 0 && isWhite(b[j]) {
			j--
		}
		return j < end
	}
	if !white() {
		return 0, false
	}
	if _, ok := digits(); !ok || !white() {
		return 0, false
	}
	n, ok := digits()
	if !ok || j >= 0 && isRegular(b[j]) {
		return 0, false
	}
	return n, true
}

func (s *scanner) object(num int64) *Error {
	s.obj = num
	v, err := s.value(0)
	if err != nil {
		return err
	}
	if v.k == kInt {
		s.ints[num] = v.n
	}
	s.skipWS()
	if v.k != kDict || !bytes.HasPrefix(s.b[s.pos:], []byte("stream")) {
		return nil
	}
	s.pos += len("stream")
	return s.stream(v)
}

// stream checks the stream after dictionary d, s.pos just after the
// keyword stream.
func (s *scanner) stream(d value) *Error {
	b := s.b
	start := s.pos
	if start < len(b) && b[start] == '\r' {
		start++
	}
	if start < len(b) && b[start] == '\n' {
		start++
	}
	end := -1
	switch l := d.get("Length"); l.k {
	case kInt:
		if l.n < 0 || l.n > int64(len(b)-start) {
			return s.badLength(l.n)
		}
		e := start + int(l.n)
		k := e
		for k < len(b) && k < e+2 && (b[k] == '\r' || b[k] == '\n') {
			k++
		}
		if bytes.HasPrefix(b[k:], []byte("endstream")) {
			end = e
		}
	case kRef:
		s.lengths = append(s.lengths, streamLength{l.n, s.obj, start})
	}
	if end < 0 {
		if i := bytes.Index(b[start:], []byte("endstream")); i >= 0 {
			end = start + i
		} else {
			end = len(b)
		}
	}
	s.pos = end
	return s.streamData(d, b[start:end])
}

// streamData inflates what a parser may inflate: everything but images,
// which only a renderer decodes.
func (s *scanner) streamData(d value, data []byte) *Error {
	if d.get("Subtype").s == "Image" {
		return nil
	}
	var filters []string
	switch f := d.get("Filter"); f.k {
	case kName:
		filters = []string{f.s}
	case kArray:
		for _, e := range f.elems {
			filters = append(filters, e.s)
		}
	}
	objStm := d.get("Type").s == "ObjStm"
	if len(filters) == 0 && !objStm {
		return nil
	}
	limit := min(s.lim.MaxStreamDecoded, s.lim.MaxDecoded-s.decoded)
	if objStm {
		limit = min(limit, maxObjStm)
	}
	raw := &countingReader{r: bytes.NewReader(data)}
	var r io.Reader = raw
	decoded := len(filters) == 0
filters:
	for _, f := range filters {
		switch f {
		case "FlateDecode", "Fl":
			r = inflater(r)
			decoded = true
		case "ASCIIHexDecode", "AHx":
			r = hex.NewDecoder(&hexOnly{r: r})
		case "ASCII85Decode", "A85":
			r = ascii85.NewDecoder(&a85Only{r: r})
		default:
			break filters // decoded by no parser of ours, or not bigger than its input
		}
	}
	if !decoded {
		return nil
	}
	floor := int64(bombFloor)
	if objStm {
		floor = 1 << 20 // objects as text: they inflate a few times
	}
	var out bytes.Buffer
	buf := make([]byte, 32<<10)
	var n int64
	for n <= limit {
		k, err := r.Read(buf)
		n += int64(k)
		if objStm {
			out.Write(buf[:k])
		}
		if n > floor && n > bombRatio*raw.n {
			s.decoded += n
			return refuse(CodeDecoded, fmt.Sprintf("object %d inflates more than %d times (%d bytes from %d)", s.obj, bombRatio, n, raw.n),
				"Tệp PDF chứa dữ liệu nén với tỉ lệ nén bất thường (bom nén); tệp hỏng hoặc được tạo để gây quá tải")
		}
		if err != nil {
			break // a damaged stream is the parsers' business
		}
	}
	s.decoded += n
	if n > limit {
		max := s.lim.MaxStreamDecoded
		if objStm {
			max = min(max, maxObjStm)
		}
		what := "one stream"
		if s.decoded > s.lim.MaxDecoded {
			max, what = s.lim.MaxDecoded, "the file's streams"
		}
		return refuse(CodeDecoded, fmt.Sprintf("%s inflate to more than %d bytes (object %d)", what, max, s.obj),
			"Tệp PDF chứa dữ liệu nén giải nén ra quá %d MiB (bom nén); tệp hỏng hoặc được tạo để gây quá tải", max>>20)
	}
	if objStm {
		err := s.objectStream(d, out.Bytes())
		if err != nil && bytes.Contains(s.b, []byte("/Encrypt")) {
			// Encrypted (an owner password only, or the readers refuse
			// it): its object streams are ciphertext, read by the readers
			// under the worker's limits.
			return nil
		}
		return err
	}
	return nil
}

// A stream that inflates past bombFloor bytes at more than bombRatio
// times its size is a bomb: real content streams and fonts inflate a few
// times, deflate at most 1032 times, and stopping at the ratio keeps a
// bomb's cost to milliseconds.
const (
	bombFloor = 16 << 20
	bombRatio = 256
)

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// inflater reads zlib data, or raw deflate data as some writers make.
func inflater(r io.Reader) io.Reader {
	br := &peekReader{r: r}
	head := br.peek(2)
	if len(head) == 2 && head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
		if zr, err := zlib.NewReader(br); err == nil {
			return zr
		}
		return bytes.NewReader(nil)
	}
	return flate.NewReader(br)
}

type peekReader struct {
	r   io.Reader
	buf []byte
}

func (p *peekReader) peek(n int) []byte {
	b := make([]byte, n)
	k, _ := io.ReadFull(p.r, b)
	p.buf = b[:k]
	return p.buf
}

func (p *peekReader) Read(b []byte) (int, error) {
	if len(p.buf) > 0 {
		n := copy(b, p.buf)
		p.buf = p.buf[n:]
		return n, nil
	}
	return p.r.Read(b)
}

// hexOnly passes the hexadecimal digits of ASCIIHexDecode data up to '>'.
type hexOnly struct {
	r    io.Reader
	done bool
}

func (h *hexOnly) Read(p []byte) (int, error) {
	for {
		if h.done {
			return 0, io.EOF
		}
		n, err := h.r.Read(p)
		k := 0
		for _, c := range p[:n] {
			if c == '>' {
				h.done = true
				break
			}
			if c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' {
				p[k] = c
				k++
			}
		}
		if k > 0 || err != nil {
			return k, err
		}
	}
}

// a85Only passes ASCII85Decode data up to '~'.
type a85Only struct {
	r    io.Reader
	done bool
}

func (a *a85Only) Read(p []byte) (int, error) {
	if a.done {
		return 0, io.EOF
	}
	n, err := a.r.Read(p)
	if i := bytes.IndexByte(p[:n], '~'); i >= 0 {
		a.done = true
		return i, nil
	}
	return n, err
}

// objectStream reads the objects of an object stream as those of the file.
func (s *scanner) objectStream(d value, data []byte) *Error {
	n, first := d.get("N"), d.get("First")
	if n.k != kInt || first.k != kInt {
		return nil
	}
	if n.n > s.maxObj || n.n > int64(len(data))/2+1 {
		return refuse(CodeObjects, fmt.Sprintf("object stream %d declares %d objects in %d bytes", s.obj, n.n, len(data)),
			"Tệp PDF có luồng đối tượng khai báo %d đối tượng trong %d byte; tệp hỏng hoặc được tạo để gây quá tải", n.n, len(data))
	}
	if first.n < 0 || first.n > int64(len(data)) {
		return s.badXRef(fmt.Sprintf("object stream %d: /First %d outside its %d bytes", s.obj, first.n, len(data)))
	}
	if e := d.get("Extends"); e.k == kRef {
		s.extends[s.obj] = e.n
	}
	b, pos, obj := s.b, s.pos, s.obj
	defer func() { s.b, s.pos, s.obj = b, pos, obj }()
	s.b, s.pos = data, 0
	nums := make([]int64, 0, min(n.n, 1024))
	for range n.n {
		s.skipWS()
		num, ok := s.uint()
		if !ok {
			break
		}
		s.skipWS()
		if _, ok := s.uint(); !ok {
			break
		}
		nums = append(nums, num)
	}
	s.pos = int(first.n)
	for i := range nums {
		s.obj = nums[i]
		v, err := s.value(0)
		if err != nil {
			return err
		}
		if v.k == kInt {
			s.ints[nums[i]] = v.n
		}
		if s.pos >= len(s.b) {
			break
		}
	}
	return nil
}

// xrefTable checks the subsections of a classic cross-reference table.
func (s *scanner) xrefTable() *Error {
	for {
		s.skipWS()
		start, ok := s.uint()
		if !ok {
			return nil
		}
		s.skipWS()
		n, ok := s.uint()
		if !ok {
			return nil
		}
		if start+n > s.maxObj {
			return s.tooManyObjects(start + n)
		}
		for range n {
			s.skipWS()
			if _, ok := s.uint(); !ok {
				return nil
			}
			s.skipWS()
			s.uint()
			s.skipWS()
			s.regular()
		}
	}
}

func (s *scanner) checkTrailer(t value) *Error {
	if t.k != kDict {
		return nil
	}
	if n := t.get("Size"); n.k == kInt && n.n > s.maxObj {
		return s.tooManyObjects(n.n)
	}
	for _, k := range []string{"Prev", "XRefStm"} {
		if p := t.get(k); p.k == kInt && (p.n < 0 || p.n >= int64(len(s.b))) {
			return s.badXRef(fmt.Sprintf("trailer /%s %d outside the file", k, p.n))
		}
	}
	return nil
}
