package convert

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"io"
	"path"
	"regexp"
	"strings"
	"unicode/utf16"
)

// Limits on what a file may unpack to: a Word document of hundreds of
// pages stays far below them, a zip bomb does not.
const (
	maxInput      = 100 << 20 // bytes of the file itself
	maxEntries    = 10000
	maxUnpacked   = 256 << 20 // bytes of all entries together
	maxRatio      = 200       // unpacked/packed for an entry over ratioFloor
	ratioFloor    = 1 << 20
	maxOLE2Sector = 1 << 20 // sectors followed in an OLE2 chain
)

// The refusals, with what the user can do about them.
var (
	errCorrupt = &BadFileError{Code: "corrupt", Reason: "Tệp bị hỏng, không mở được; hãy mở tệp bằng Word, lưu lại rồi tải lên lại"}
	errNoBody  = &BadFileError{Code: "corrupt", Reason: "Tệp không phải văn bản Word hợp lệ (thiếu phần nội dung); hãy mở tệp bằng Word, lưu lại dưới dạng .docx rồi tải lên lại"}
	// errEncrypted is also the answer of LibreOffice asking for a password.
	errEncrypted   = &BadFileError{Code: "encrypted", Reason: "Tệp Word được bảo vệ bằng mật khẩu; hãy bỏ mật khẩu rồi tải lên lại"}
	errMacros      = &BadFileError{Code: "macros", Reason: "Tệp có chứa macro nên không được nhận vì lý do an toàn; hãy lưu lại dưới dạng .docx hoặc .odt (không có macro) rồi tải lên lại"}
	errTooLarge    = &BadFileError{Code: "too_large", Reason: "Tệp quá lớn khi giải nén (có thể là tệp nén độc hại); hãy kiểm tra tệp, mở bằng Word, lưu lại rồi tải lên lại"}
	errUnsupported = &BadFileError{Code: "unsupported", Reason: "Chỉ nhận văn bản Word (.docx, .doc) hoặc LibreOffice (.odt); hãy lưu văn bản dưới một trong các dạng này rồi tải lên lại"}
)

func extension(fileName string) string {
	return strings.TrimPrefix(strings.ToLower(path.Ext(strings.ReplaceAll(fileName, "\\", "/"))), ".")
}

func isZip(head []byte) bool { return bytes.HasPrefix(head, []byte("PK\x03\x04")) }
func isOLE2(head []byte) bool {
	return bytes.HasPrefix(head, []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"))
}

// check refuses what LibreOffice must not see and returns the file as it
// will see it: a zip rewritten without external links.
func check(in []byte, fileName string) (kind string, clean []byte, err error) {
	kind, ok := Kind(fileName, in)
	if !ok {
		return "", nil, errUnsupported
	}
	if len(in) > maxInput {
		return "", nil, errTooLarge
	}
	if isOLE2(in) {
		names, err := ole2Names(in)
		if err != nil {
			return "", nil, err
		}
		if names["encryptedpackage"] || names["encryptioninfo"] || names["encrypted fib"] {
			return "", nil, errEncrypted
		}
		if kind == "docx" {
			return "", nil, errUnsupported // an OLE2 .docx that is not encrypted Word
		}
		if names["macros"] || names["_vba_project"] || names["vba"] {
			return "", nil, errMacros
		}
		if !names["worddocument"] {
			return "", nil, errUnsupported // another OLE2 file: a spreadsheet, a presentation
		}
		return kind, in, nil
	}
	clean, err = cleanZip(in, kind)
	return kind, clean, err
}

// cleanZip checks a DOCX or ODT and rewrites it without the links that
// would make LibreOffice fetch something from outside the file.
func cleanZip(in []byte, kind string) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		return nil, errCorrupt
	}
	if len(zr.File) > maxEntries {
		return nil, errTooLarge
	}
	var declared uint64
	for _, f := range zr.File {
		declared += f.UncompressedSize64
		if declared > maxUnpacked {
			return nil, errTooLarge
		}
		if f.UncompressedSize64 > ratioFloor && f.UncompressedSize64 > maxRatio*max(f.CompressedSize64, 1) {
			return nil, errTooLarge
		}
	}

	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	var unpacked int64
	seen := map[string]bool{}
	var manifest, contentTypes, mimetype []byte
	for _, f := range zr.File {
		name := strings.ToLower(f.Name)
		if seen[name] {
			return nil, errCorrupt // two entries by one name: which one a reader takes differs
		}
		seen[name] = true
		if path.Base(name) == "vbaproject.bin" || path.Base(name) == "vbadata.xml" {
			return nil, errMacros
		}
		if kind == "odt" && (strings.HasPrefix(name, "basic/") || strings.HasPrefix(name, "scripts/")) && !f.FileInfo().IsDir() {
			return nil, errMacros
		}
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, errCorrupt
		}
		// The declared sizes may lie: count what really comes out.
		b, err := io.ReadAll(io.LimitReader(rc, maxUnpacked-unpacked+1))
		rc.Close()
		if err != nil {
			return nil, errCorrupt
		}
		unpacked += int64(len(b))
		if unpacked > maxUnpacked {
			return nil, errTooLarge
		}
		switch {
		case name == "[content_types].xml":
			contentTypes = b
		case name == "meta-inf/manifest.xml":
			manifest = b
		case name == "mimetype":
			mimetype = b
		}
		if kind == "docx" && strings.HasSuffix(name, ".rels") {
			b = cleanRels(b)
		} else if kind == "docx" && strings.HasPrefix(name, "word/") && strings.HasSuffix(name, ".xml") {
			b = cleanFields(b)
		} else if kind == "odt" && strings.HasSuffix(name, ".xml") {
			if scriptListener.Match(b) {
				return nil, errMacros
			}
			b = cleanODFLinks(b)
		}
		method := zip.Deflate
		if name == "mimetype" {
			method = zip.Store // ODF wants it first and stored
		}
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: method, Modified: f.Modified})
		if err != nil {
			return nil, errCorrupt
		}
		fw.Write(b)
	}
	if err := zw.Close(); err != nil {
		return nil, errCorrupt
	}

	switch kind {
	case "docx":
		if contentTypes == nil || !seen["word/document.xml"] {
			return nil, errNoBody
		}
		if bytes.Contains(bytes.ToLower(contentTypes), []byte("macroenabled")) {
			return nil, errMacros
		}
	case "odt":
		if manifest != nil && bytes.Contains(manifest, []byte("encryption-data")) {
			return nil, errEncrypted
		}
		mt := string(bytes.TrimSpace(mimetype))
		if mimetype != nil && mt != "application/vnd.oasis.opendocument.text" && mt != "application/vnd.oasis.opendocument.text-template" {
			return nil, errUnsupported
		}
		if !seen["content.xml"] {
			return nil, errNoBody
		}
	}
	return out.Bytes(), nil
}

var (
	relationship = regexp.MustCompile(`(?s)<Relationship\b[^>]*?(?:/>|>.*?</Relationship>)`)
	attrValue    = func(name string) *regexp.Regexp {
		return regexp.MustCompile(`\b` + name + `\s*=\s*(?:"([^"]*)"|'([^']*)')`)
	}
	targetMode = attrValue("TargetMode")
	relType    = attrValue("Type")
	relTarget  = attrValue("Target")
	// outside is a link leaving the package: with a scheme, a UNC or
	// absolute path, or one going up from the document's folder.
	outside = regexp.MustCompile(`^\s*(?:[A-Za-z][A-Za-z0-9+.\-]*:|\\\\|//|\.\.)`)
)

func value(re *regexp.Regexp, s string) (string, bool) {
	m := re.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	return m[1] + m[2], true
}

// cleanRels drops from an OOXML relationship part every relationship that
// points outside the package (remote images, attached templates, OLE
// links, subdocuments, frames), hyperlinks apart: they stay links in the
// PDF and are never fetched.
func cleanRels(b []byte) []byte {
	return relationship.ReplaceAllFunc(b, func(rel []byte) []byte {
		s := string(rel)
		mode, _ := value(targetMode, s)
		target, _ := value(relTarget, s)
		if !strings.EqualFold(mode, "External") && !outside.MatchString(target) {
			return rel
		}
		if t, _ := value(relType, s); strings.HasSuffix(t, "/hyperlink") {
			return rel
		}
		return nil
	})
}

var (
	instrText  = regexp.MustCompile(`(?s)(<w:instrText\b[^>]*>)(.*?)(</w:instrText>)`)
	instrAttr  = regexp.MustCompile(`(\bw:instr\s*=\s*")([^"]*)(")`)
	fetchField = regexp.MustCompile(`(?i)^(\s*)(INCLUDEPICTURE|INCLUDETEXT|LINK|DDE|DDEAUTO|IMPORT|INCLUDE)\b`)
)

// cleanFields turns the field codes that load another file (INCLUDEPICTURE,
// INCLUDETEXT, LINK, DDE) into a comment field; the document keeps the
// field's last result as it was saved.
func cleanFields(b []byte) []byte {
	fix := func(re *regexp.Regexp) {
		b = re.ReplaceAllFunc(b, func(m []byte) []byte {
			p := re.FindSubmatch(m)
			code := fetchField.ReplaceAll(p[2], []byte("${1}COMMENTS"))
			return append(append(append([]byte{}, p[1]...), code...), p[3]...)
		})
	}
	fix(instrText)
	fix(instrAttr)
	return b
}

var (
	odfStartTag = regexp.MustCompile(`<([A-Za-z][\w.\-]*:[\w.\-]+)(\s[^>]*)>`)
	xlinkHref   = regexp.MustCompile(`(\bxlink:href\s*=\s*)("[^"]*"|'[^']*')`)
	// A document-level event bound to a script is a macro.
	scriptListener = regexp.MustCompile(`<script:event-listener\b`)
)

// cleanODFLinks empties every link to outside the package in an ODF part,
// but on hyperlinks (text:a, draw:a), which are never fetched: linked
// images, objects, sections and background images become empty.
func cleanODFLinks(b []byte) []byte {
	return odfStartTag.ReplaceAllFunc(b, func(tag []byte) []byte {
		m := odfStartTag.FindSubmatch(tag)
		if name := string(m[1]); name == "text:a" || name == "draw:a" {
			return tag
		}
		return xlinkHref.ReplaceAllFunc(tag, func(attr []byte) []byte {
			p := xlinkHref.FindSubmatch(attr)
			v := string(p[2][1 : len(p[2])-1])
			if outside.MatchString(v) || strings.HasPrefix(strings.TrimSpace(v), "/") {
				return append(append([]byte{}, p[1]...), `""`...)
			}
			return attr
		})
	})
}

// ole2Names lists, lower-cased, the names of the streams and storages in an
// OLE2 (Compound File Binary) container, such as a .doc or Word's
// encrypted DOCX.
func ole2Names(b []byte) (map[string]bool, error) {
	if len(b) < 512 {
		return nil, errCorrupt
	}
	le := binary.LittleEndian
	shift := le.Uint16(b[0x1E:])
	if shift != 9 && shift != 12 {
		return nil, errCorrupt
	}
	size := 1 << shift
	sector := func(n uint32) []byte {
		off := (int64(n) + 1) << shift
		if n >= 0xFFFFFFFA || off+int64(size) > int64(len(b)) {
			return nil
		}
		return b[off : off+int64(size)]
	}
	// The FAT's own sectors: 109 in the header, the rest in DIFAT sectors.
	var fatSectors []uint32
	for i := 0; i < 109; i++ {
		fatSectors = append(fatSectors, le.Uint32(b[0x4C+4*i:]))
	}
	for d, n := le.Uint32(b[0x44:]), 0; d < 0xFFFFFFFA && n < maxOLE2Sector; n++ {
		s := sector(d)
		if s == nil {
			return nil, errCorrupt
		}
		for i := 0; i < size/4-1; i++ {
			fatSectors = append(fatSectors, le.Uint32(s[4*i:]))
		}
		d = le.Uint32(s[size-4:])
	}
	var fat []uint32
	for _, n := range fatSectors {
		if n >= 0xFFFFFFFA {
			continue
		}
		s := sector(n)
		if s == nil {
			return nil, errCorrupt
		}
		for i := 0; i < size/4; i++ {
			fat = append(fat, le.Uint32(s[4*i:]))
		}
	}
	names := map[string]bool{}
	var rootStart, wordStart, wordSize uint32
	for d, n := le.Uint32(b[0x30:]), 0; d < 0xFFFFFFFA; n++ {
		s := sector(d)
		if s == nil || n > len(b)/size {
			return nil, errCorrupt // out of the file, or a loop
		}
		for e := 0; e+128 <= size; e += 128 {
			entry := s[e : e+128]
			l := int(le.Uint16(entry[64:]))
			if entry[66] == 0 || l < 2 || l > 64 {
				continue // unused
			}
			u := make([]uint16, l/2-1)
			for i := range u {
				u[i] = le.Uint16(entry[2*i:])
			}
			name := strings.ToLower(string(utf16.Decode(u)))
			names[name] = true
			switch {
			case entry[66] == 5:
				rootStart = le.Uint32(entry[116:])
			case name == "worddocument" && entry[66] == 2:
				wordStart, wordSize = le.Uint32(entry[116:]), le.Uint32(entry[120:])
			}
		}
		if int(d) >= len(fat) {
			return nil, errCorrupt
		}
		d = fat[d]
	}
	if len(names) == 0 {
		return nil, errCorrupt
	}
	// A .doc saved with a password says so in its FIB: fEncrypted, bit 8
	// of the flags at offset 10 of the WordDocument stream. The stream is
	// in the mini stream (inside the root's chain) when under the cutoff.
	if names["worddocument"] && wordSize >= 12 {
		chain, off := wordStart, int64(0)
		if wordSize < le.Uint32(b[0x38:]) {
			chain, off = rootStart, int64(wordStart)*64
		}
		for n := 0; off >= int64(size) && n < len(fat); n++ {
			if int(chain) >= len(fat) {
				return nil, errCorrupt
			}
			chain, off = fat[chain], off-int64(size)
		}
		s := sector(chain)
		if s == nil || off+12 > int64(size) {
			return nil, errCorrupt
		}
		if le.Uint16(s[off+10:])&0x0100 != 0 {
			names["encrypted fib"] = true
		}
	}
	return names, nil
}
