package archivepkg

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/hcm-edu/vanban/signing"
)

// Limits of what a package may hold, against hostile input.
const (
	DefaultMaxEntries    = 100_000
	DefaultMaxEntryBytes = 2 << 30  // one document's file
	DefaultMaxTotalBytes = 64 << 30 // the whole package, uncompressed
	// MaxElementsPerFile bounds each XML file; hoso.xml and manifest.xml
	// may hold one more element per entry of the package.
	MaxElementsPerFile = 10_000
	// MaxElements bounds the XML of the whole package.
	MaxElements = 1_000_000
	// maxRatio is the largest compression ratio of an entry over 1 MiB:
	// PDFs barely compress; XML of 10:1 is common, 100:1 is a bomb.
	maxRatio      = 100
	maxXMLBytes   = 32 << 20  // hoso.xml, manifest.xml
	maxMetaBytes  = 4 << 20   // one metadata.xml
	maxXMLTotal   = 256 << 20 // the XML kept in memory while checking
	maxVerifySize = 512 << 20
)

// Options govern an import or a verification.
type Options struct {
	// As is the username of the importing administrator (Import only).
	As string
	// Roots are the trusted roots for the documents' signatures.
	Roots *x509.CertPool
	// Limits; zero means the default.
	MaxEntries    int
	MaxEntryBytes int64
	MaxTotalBytes int64

	noSignatures bool // Inspect
}

func (o Options) limits() (entries int, entry, total int64) {
	entries, entry, total = o.MaxEntries, o.MaxEntryBytes, o.MaxTotalBytes
	if entries <= 0 {
		entries = DefaultMaxEntries
	}
	if entry <= 0 {
		entry = DefaultMaxEntryBytes
	}
	if total <= 0 {
		total = DefaultMaxTotalBytes
	}
	return
}

// DocumentResult is one document of a package as checked (and imported).
type DocumentResult struct {
	DocOrdinal   int    `json:"doc_ordinal"`
	Path         string `json:"path"`
	NumberSymbol string `json:"number_symbol,omitempty"`
	Title        string `json:"title"`
	SHA256       string `json:"sha256"`
	// Signatures is how many signature fields the PDF holds; Valid says
	// whether every one verifies (false when there are none).
	Signatures  int    `json:"signatures"`
	Valid       bool   `json:"valid"`
	Verdict     string `json:"verdict"`
	VerdictVI   string `json:"verdict_vi"`
	Attachments int    `json:"attachments"`
	// DocumentID is the imported document (0 when only verified); Reused
	// says it was already there, with the same bytes, and was not copied.
	DocumentID int64 `json:"document_id,omitempty"`
	Reused     bool  `json:"reused,omitempty"`
}

// Result describes a verified or imported package.
type Result struct {
	UnitCode  string           `json:"unit_code"`
	UnitName  string           `json:"unit_name"`
	Year      int              `json:"year"`
	FileCode  string           `json:"file_code"`
	Title     string           `json:"title"`
	State     string           `json:"state"`
	Entries   int              `json:"entries"`
	Bytes     int64            `json:"bytes"`
	Documents []DocumentResult `json:"documents"`
	FileID    int64            `json:"file_id,omitempty"` // the imported file
}

// pkg is a package checked whole, ready to import.
type pkg struct {
	zr       *zip.Reader
	entries  map[string]*zip.File
	manifest map[string]Entry
	file     File
	docs     []Document
	reports  []signing.Report
	att      [][]*signing.Report // sealed attachments' reports
	result   Result
}

// Verify checks a package without importing it: every entry against the
// manifest, the XML, and each document's signatures.
func Verify(ctx context.Context, r io.ReaderAt, size int64, o Options) (Result, error) {
	p, err := check(ctx, r, size, o)
	if err != nil {
		return Result{}, err
	}
	return p.result, nil
}

// Inspect checks a package like Verify but leaves the signatures
// unverified (reported with no signature): a package just exported, read
// back before it is handed on.
func Inspect(ctx context.Context, r io.ReaderAt, size int64) (Result, error) {
	p, err := check(ctx, r, size, Options{noSignatures: true})
	if err != nil {
		return Result{}, err
	}
	return p.result, nil
}

func check(ctx context.Context, r io.ReaderAt, size int64, o Options) (*pkg, error) {
	maxEntries, maxEntry, maxTotal := o.limits()
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("archivepkg: not a ZIP package: %v", err)
	}
	if len(zr.File) > maxEntries {
		return nil, fmt.Errorf("archivepkg: the package holds %d entries, more than %d", len(zr.File), maxEntries)
	}
	p := &pkg{zr: zr, entries: make(map[string]*zip.File, len(zr.File))}
	var total uint64
	for _, f := range zr.File {
		if err := checkPath(f.Name); err != nil {
			return nil, fmt.Errorf("archivepkg: entry %q: %v", f.Name, err)
		}
		if _, dup := p.entries[f.Name]; dup {
			return nil, fmt.Errorf("archivepkg: entry %q appears twice", f.Name)
		}
		p.entries[f.Name] = f
		if f.Method != zip.Store && f.Method != zip.Deflate {
			return nil, fmt.Errorf("archivepkg: entry %q: compression method %d is not supported", f.Name, f.Method)
		}
		if f.UncompressedSize64 > uint64(maxEntry) {
			return nil, fmt.Errorf("archivepkg: entry %q: %d bytes, more than %d", f.Name, f.UncompressedSize64, maxEntry)
		}
		if f.UncompressedSize64 > 1<<20 && f.UncompressedSize64 > maxRatio*max(f.CompressedSize64, 1) {
			return nil, fmt.Errorf("archivepkg: entry %q: compressed %d:1, a ZIP bomb", f.Name, f.UncompressedSize64/max(f.CompressedSize64, 1))
		}
		if total += f.UncompressedSize64; total > uint64(maxTotal) {
			return nil, fmt.Errorf("archivepkg: the package holds more than %d bytes uncompressed", maxTotal)
		}
	}
	p.result.Entries, p.result.Bytes = len(zr.File), int64(total)
	elements := &counter{left: MaxElements}

	// The manifest first: nothing else is read before it names it.
	mf, ok := p.entries[ManifestEntry]
	if !ok {
		return nil, fmt.Errorf("archivepkg: the package has no %s", ManifestEntry)
	}
	raw, err := readEntry(ctx, mf, maxXMLBytes)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := decodeXML(raw, ManifestEntry, MaxElementsPerFile+len(zr.File), elements, &m); err != nil {
		return nil, err
	}
	if m.Version != FormatVersion {
		return nil, fmt.Errorf("archivepkg: %s: version %d is not supported", ManifestEntry, m.Version)
	}
	p.manifest = make(map[string]Entry, len(m.Entries))
	for _, e := range m.Entries {
		if err := checkPath(e.Path); err != nil {
			return nil, fmt.Errorf("archivepkg: %s names %q: %v", ManifestEntry, e.Path, err)
		}
		if _, dup := p.manifest[e.Path]; dup || e.Path == ManifestEntry {
			return nil, fmt.Errorf("archivepkg: %s names %q twice", ManifestEntry, e.Path)
		}
		if !sha256Hex.MatchString(e.SHA256) || e.Size < 0 {
			return nil, fmt.Errorf("archivepkg: %s: entry %q has no valid SHA-256 and size", ManifestEntry, e.Path)
		}
		p.manifest[e.Path] = e
		if _, ok := p.entries[e.Path]; !ok {
			return nil, fmt.Errorf("archivepkg: entry %q is in the manifest but missing from the package", e.Path)
		}
	}
	for _, f := range zr.File {
		if _, ok := p.manifest[f.Name]; !ok && f.Name != ManifestEntry {
			return nil, fmt.Errorf("archivepkg: entry %q is not in the manifest", f.Name)
		}
	}
	// Every entry's bytes against the manifest; the XML kept to be read.
	xmls := map[string][]byte{}
	xmlBytes := 0
	for _, f := range zr.File {
		if f.Name == ManifestEntry {
			continue
		}
		e := p.manifest[f.Name]
		if f.Name == FileEntry || path.Base(f.Name) == metadataName {
			limit := int64(maxMetaBytes)
			if f.Name == FileEntry {
				limit = maxXMLBytes
			}
			b, err := readEntry(ctx, f, min(limit, e.Size))
			if err != nil {
				return nil, err
			}
			if xmlBytes += len(b); xmlBytes > maxXMLTotal {
				return nil, fmt.Errorf("archivepkg: entry %q: the package's XML exceeds %d bytes", f.Name, maxXMLTotal)
			}
			if err := e.match(b); err != nil {
				return nil, err
			}
			xmls[f.Name] = b
			continue
		}
		if err := hashEntry(ctx, f, e); err != nil {
			return nil, err
		}
	}

	// The file and its documents.
	raw, ok = xmls[FileEntry]
	if !ok {
		return nil, fmt.Errorf("archivepkg: the package has no %s", FileEntry)
	}
	if err := decodeXML(raw, FileEntry, MaxElementsPerFile+len(zr.File), elements, &p.file); err != nil {
		return nil, err
	}
	if err := p.checkFile(); err != nil {
		return nil, err
	}
	used := map[string]bool{FileEntry: true, SchemaEntry: true}
	// Every metadata.xml is scanned before any is decoded, so that the
	// package's allowance of elements is spent before anything is built.
	for _, it := range p.file.Items {
		name := it.Path + metadataName
		raw, ok := xmls[name]
		if !ok {
			return nil, fmt.Errorf("archivepkg: item %d: entry %q is missing", it.DocOrdinal, name)
		}
		if err := scanXML(raw, name, MaxElementsPerFile, elements); err != nil {
			return nil, err
		}
	}
	for _, it := range p.file.Items {
		name := it.Path + metadataName
		used[name] = true
		var d Document
		if err := xml.Unmarshal(xmls[name], &d); err != nil {
			return nil, fmt.Errorf("archivepkg: %s: %v", name, err)
		}
		if err := p.checkDocument(it, &d, used); err != nil {
			return nil, fmt.Errorf("archivepkg: %s: %v", name, err)
		}
		p.docs = append(p.docs, d)
	}
	for name := range p.manifest {
		if !used[name] {
			return nil, fmt.Errorf("archivepkg: entry %q belongs to no document of the file", name)
		}
	}

	// The signatures, from the bytes just checked.
	for i, d := range p.docs {
		rep, err := p.verifyPDF(ctx, d.File.StoredFile, o)
		if err != nil {
			return nil, err
		}
		p.reports = append(p.reports, rep)
		var atts []*signing.Report
		for _, a := range d.Attachments {
			var ar *signing.Report
			if a.Sealed != nil {
				r, err := p.verifyPDF(ctx, *a.Sealed, o)
				if err != nil {
					return nil, err
				}
				if !r.Valid && !o.noSignatures {
					return nil, fmt.Errorf("archivepkg: %s: the organisation's signature does not verify: %s", a.Sealed.Path, r.VerdictEN)
				}
				ar = &r
			}
			atts = append(atts, ar)
		}
		p.att = append(p.att, atts)
		dr := DocumentResult{DocOrdinal: d.DocOrdinal, Path: p.file.Items[i].Path, Title: d.Subject, SHA256: d.File.SHA256,
			Signatures: rep.SignatureFields, Valid: rep.Valid, Verdict: rep.VerdictEN, VerdictVI: rep.VerdictVI, Attachments: len(d.Attachments)}
		if d.CodeNumber != "" {
			dr.NumberSymbol = numberSymbol(d.CodeNumber, d.CodeNotation)
		}
		if rep.SignatureFields == 0 {
			dr.Verdict, dr.VerdictVI = "not signed", "không có chữ ký số"
		}
		p.result.Documents = append(p.result.Documents, dr)
	}
	f := p.file
	p.result.UnitCode, p.result.UnitName, p.result.Year = f.FileCode.OrganID, f.Organ.OrganName, f.FileCode.FileCatalog
	p.result.FileCode, p.result.Title, p.result.State = f.FileCode.FileNotation, f.Title, f.State
	return p, nil
}

// verifyPDF reads a checked entry again (its bytes must still be the
// manifest's) and verifies its signatures. A PDF with signatures that do
// not all verify is refused: an archive must be authentic. A PDF without
// any is reported as such.
func (p *pkg) verifyPDF(ctx context.Context, sf StoredFile, o Options) (signing.Report, error) {
	if sf.MediaType != "application/pdf" || o.noSignatures {
		return signing.Report{}, nil
	}
	if sf.Size > maxVerifySize {
		return signing.Report{}, fmt.Errorf("archivepkg: %s: %d bytes, too large to verify its signatures", sf.Path, sf.Size)
	}
	b, err := readEntry(ctx, p.entries[sf.Path], sf.Size)
	if err != nil {
		return signing.Report{}, err
	}
	if err := p.manifest[sf.Path].match(b); err != nil {
		return signing.Report{}, err
	}
	rep, err := signing.Verify(b, signing.VerifyOptions{Roots: o.Roots, Context: ctx})
	if err != nil {
		return signing.Report{}, fmt.Errorf("archivepkg: %s: unable to verify: %v", sf.Path, err)
	}
	if rep.SignatureFields > 0 && !rep.Valid {
		return rep, fmt.Errorf("archivepkg: %s: the signatures do not verify: %s", sf.Path, rep.VerdictEN)
	}
	return rep, nil
}

var (
	sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)
	itemDir   = regexp.MustCompile(`^vanban/[0-9]{4,}/$`)
	origins   = []string{"outgoing", "received", "paper_copy", "received_paper"}
	urgencies = []string{"thuong", "khan", "thuong_khan", "hoa_toc"}
	secrecies = []string{"thuong", "mat", "toi_mat", "tuyet_mat"}
	statuses  = []string{"draft", "registered", "signed", "issued", "recalled"}
	states    = []string{"planned", "open", "closed", "handed_over", "destroyed"}
	kinds     = []string{"department", "office", "district_office", "school", "external"}
)

func (p *pkg) checkFile() error {
	f := p.file
	bad := func(format string, args ...any) error {
		return fmt.Errorf("archivepkg: %s: %s", FileEntry, fmt.Sprintf(format, args...))
	}
	switch {
	case f.Version != FormatVersion:
		return bad("version %d is not supported", f.Version)
	case f.FileCode.OrganID == "" || f.FileCode.FileNotation == "" || f.Title == "":
		return bad("the file's code or title is missing")
	case f.FileCode.FileCatalog < 2000 || f.FileCode.FileCatalog > 2200:
		return bad("year %d is out of range", f.FileCode.FileCatalog)
	case !slices.Contains(states, f.State):
		return bad("unknown state %q", f.State)
	case f.Organ.OrganID != f.FileCode.OrganID || f.Organ.OrganName == "" || !slices.Contains(kinds, f.Organ.OrganKind):
		return bad("the unit is not described")
	case f.RetentionYears != nil && (*f.RetentionYears < 1 || *f.RetentionYears > 100):
		return bad("retention of %d years is out of range", *f.RetentionYears)
	case len(f.Items) != f.DocTotal:
		return bad("DocTotal is %d but %d items are listed", f.DocTotal, len(f.Items))
	}
	for _, t := range []string{f.OpenedAt, f.ClosedAt, f.HandedOverAt, f.ExportedAt} {
		if _, err := parseStamp(t); err != nil {
			return bad("%v", err)
		}
	}
	if _, err := parseDay(f.DueOn); err != nil {
		return bad("%v", err)
	}
	seqs, dirs := map[int]bool{}, map[string]bool{}
	for _, it := range f.Items {
		if it.DocOrdinal <= 0 || seqs[it.DocOrdinal] {
			return bad("item number %d is not positive or appears twice", it.DocOrdinal)
		}
		if !itemDir.MatchString(it.Path) || dirs[it.Path] {
			return bad("item %d: folder %q is not vanban/NNNN/ or appears twice", it.DocOrdinal, it.Path)
		}
		if _, err := parseStamp(it.AddedAt); err != nil || it.AddedAt == "" {
			return bad("item %d: the time it was added is not valid", it.DocOrdinal)
		}
		seqs[it.DocOrdinal], dirs[it.Path] = true, true
	}
	return nil
}

func (p *pkg) checkDocument(it Item, d *Document, used map[string]bool) error {
	switch {
	case d.Version != FormatVersion:
		return fmt.Errorf("version %d is not supported", d.Version)
	case d.FileCode != p.file.FileCode:
		return errors.New("the file code is not the file's")
	case d.DocOrdinal != it.DocOrdinal:
		return fmt.Errorf("DocOrdinal %d, listed as %d", d.DocOrdinal, it.DocOrdinal)
	case !slices.Contains(origins, d.Origin):
		return fmt.Errorf("unknown origin %q", d.Origin)
	case !slices.Contains(urgencies, d.Urgency) || !slices.Contains(secrecies, d.Confidentiality) || !slices.Contains(statuses, d.Status):
		return errors.New("unknown urgency, confidentiality or status")
	case d.TypeName == "" || strings.TrimSpace(d.Subject) == "":
		return errors.New("the type or the subject (trích yếu) is missing")
	case d.Organ.OrganID == "" || d.Organ.OrganName == "" || !slices.Contains(kinds, d.Organ.OrganKind):
		return errors.New("the issuing unit is not described")
	case (d.CodeNumber == "") != (d.CodeNotation == ""):
		return errors.New("a number needs its symbol, and a symbol its number")
	case d.File.VersionNo <= 0:
		return errors.New("the version number is not positive")
	}
	if d.CodeNumber != "" {
		if n, err := strconv.Atoi(d.CodeNumber); err != nil || n <= 0 {
			return fmt.Errorf("number %q is not a positive number", d.CodeNumber)
		}
	}
	if _, err := parseDay(d.IssuedDate); err != nil || d.IssuedDate == "" {
		return errors.New("the document's date is not valid")
	}
	if _, err := parseDay(d.ArrivalDate); err != nil {
		return err
	}
	if _, err := parseStamp(d.File.CreatedAt); err != nil {
		return err
	}
	files := []StoredFile{d.File.StoredFile}
	positions := map[int]bool{}
	for _, a := range d.Attachments {
		if a.Position <= 0 || positions[a.Position] || a.Title == "" {
			return fmt.Errorf("attachment %d: position or title not valid", a.Position)
		}
		positions[a.Position] = true
		files = append(files, a.StoredFile)
		if a.Sealed != nil {
			files = append(files, *a.Sealed)
		}
	}
	for _, sf := range files {
		e, ok := p.manifest[sf.Path]
		switch {
		case !ok:
			return fmt.Errorf("entry %q is missing", sf.Path)
		case !strings.HasPrefix(sf.Path, it.Path) || used[sf.Path]:
			return fmt.Errorf("entry %q is outside the document's folder or named twice", sf.Path)
		case e.SHA256 != sf.SHA256 || e.Size != sf.Size || sf.Size <= 0:
			return fmt.Errorf("entry %q: SHA-256 or size differs from the manifest's", sf.Path)
		case sf.FileName == "" || sf.MediaType == "":
			return fmt.Errorf("entry %q: file name or media type missing", sf.Path)
		}
		used[sf.Path] = true
	}
	return nil
}

func numberSymbol(number, symbol string) string {
	if len(number) == 1 {
		number = "0" + number
	}
	return number + "/" + symbol
}

func parseStamp(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not valid", s)
	}
	return t, nil
}

func parseDay(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q is not valid", s)
	}
	return t, nil
}

// checkPath refuses entry names that could escape a directory or mislead.
func checkPath(name string) error {
	switch {
	case name == "" || len(name) > 1000:
		return errors.New("empty or too long a name")
	case !utf8.ValidString(name):
		return errors.New("the name is not UTF-8")
	case strings.HasPrefix(name, "/") || strings.Contains(name, `\`) || (len(name) > 1 && name[1] == ':'):
		return errors.New("an absolute path")
	case strings.HasSuffix(name, "/"):
		return errors.New("a directory entry")
	case strings.ContainsFunc(name, unicode.IsControl):
		return errors.New("control characters in the name")
	}
	for _, s := range strings.Split(name, "/") {
		if s == "" || s == "." || s == ".." {
			return errors.New("a path with an empty, . or .. element")
		}
	}
	return nil
}

func (e Entry) match(b []byte) error {
	sum := sha256.Sum256(b)
	if int64(len(b)) != e.Size {
		return fmt.Errorf("archivepkg: entry %q: %d bytes, the manifest says %d", e.Path, len(b), e.Size)
	}
	if fmt.Sprintf("%x", sum) != e.SHA256 {
		return fmt.Errorf("archivepkg: entry %q: SHA-256 does not match the manifest", e.Path)
	}
	return nil
}

// readEntry reads an entry whole, refusing more than limit bytes.
func readEntry(ctx context.Context, f *zip.File, limit int64) ([]byte, error) {
	if f.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("archivepkg: entry %q: %d bytes, more than the %d allowed", f.Name, f.UncompressedSize64, limit)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("archivepkg: entry %q: %v", f.Name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(ctxReader{ctx, rc}, limit+1))
	if err != nil {
		return nil, fmt.Errorf("archivepkg: entry %q: %v", f.Name, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("archivepkg: entry %q: more than the %d bytes allowed", f.Name, limit)
	}
	return b, nil
}

// hashEntry streams an entry through SHA-256, reading at most the size
// the manifest gives (and one byte more, to tell a longer entry).
func hashEntry(ctx context.Context, f *zip.File, e Entry) error {
	rc, err := f.Open()
	if err != nil {
		return fmt.Errorf("archivepkg: entry %q: %v", f.Name, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, io.LimitReader(ctxReader{ctx, rc}, e.Size+1))
	if err != nil {
		return fmt.Errorf("archivepkg: entry %q: %v", f.Name, err)
	}
	if n != e.Size {
		return fmt.Errorf("archivepkg: entry %q: the size differs from the manifest's %d bytes", f.Name, e.Size)
	}
	if sumOf(h) != e.SHA256 {
		return fmt.Errorf("archivepkg: entry %q: SHA-256 does not match the manifest", f.Name)
	}
	return nil
}

// counter is what is left of the package's allowance of XML elements.
type counter struct{ left int }

// decodeXML checks the XML with a streaming pass, refusing a DOCTYPE (and
// so any entity), processing instructions other than the declaration, and
// more than perFile elements (or the package's total) before anything is
// built from it, then decodes it into v.
func decodeXML(b []byte, name string, perFile int, total *counter, v any) error {
	if err := scanXML(b, name, perFile, total); err != nil {
		return err
	}
	if err := xml.Unmarshal(b, v); err != nil {
		return fmt.Errorf("archivepkg: %s: %v", name, err)
	}
	return nil
}

// scanXML is decodeXML's streaming pass.
func scanXML(b []byte, name string, perFile int, total *counter) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	d.Entity = nil
	n := 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("archivepkg: %s: not well-formed XML: %v", name, err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return fmt.Errorf("archivepkg: %s: a DOCTYPE or other directive is not allowed (entities)", name)
		case xml.ProcInst:
			if t.Target != "xml" {
				return fmt.Errorf("archivepkg: %s: processing instruction %q is not allowed", name, t.Target)
			}
		case xml.StartElement:
			n++
			total.left--
			if n > perFile {
				return fmt.Errorf("archivepkg: %s: more than %d XML elements", name, perFile)
			}
			if total.left < 0 {
				return fmt.Errorf("archivepkg: %s: the package holds more than %d XML elements", name, MaxElements)
			}
		}
	}
	return nil
}
