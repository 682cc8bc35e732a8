package pdfguard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/digitorus/pdf"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// handle does one request in the worker. A refused file gives an *Error;
// a failure of the worker itself (the file cannot be read) an error. New
// kinds go in its switch.
func handle(req Request, lim Limits) (any, *Error, error) {
	switch req.Kind {
	case KindCheck:
		b, done, err := mapFile(req.Path)
		if err != nil {
			return nil, nil, err
		}
		defer done()
		info, gerr := check(b, lim)
		return info, gerr, nil
	case KindVerify, KindSignerBlock:
		b, done, err := mapFile(req.Path)
		if err != nil {
			return nil, nil, err
		}
		defer done()
		if req.Kind == KindVerify {
			return handleVerify(b, req.Args, lim)
		}
		return handleSignerBlock(b, lim)
	}
	if testKind != nil {
		return testKind(req.Kind, req.Path, lim)
	}
	return nil, nil, fmt.Errorf("unknown kind of request %q", req.Kind)
}

// testKind, set by this package's tests (whose binary is its own worker),
// runs kinds of request that misbehave on purpose.
var testKind func(kind, path string, lim Limits) (any, *Error, error)

// mapFile maps the file at path into memory, read-only.
func mapFile(path string) ([]byte, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if fi.Size() == 0 {
		return nil, func() {}, nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("unable to map %s: %v", path, err)
	}
	return b, func() { syscall.Munmap(b) }, nil
}

func broken(detail string) *Error {
	return refuse(CodeBroken, detail, "Tệp PDF bị hỏng hoặc không đầy đủ; hãy xuất lại tệp PDF và thử lại")
}

// errEncrypted is a file with a user password: it opens only with one.
// A file with only an owner password (permissions restricted) opens with
// the empty password and passes, marked Info.Restricted.
var errEncrypted = refuse(CodeEncrypted, "", "Tệp PDF có mật khẩu mở tệp nên hệ thống không đọc được; hãy lưu lại bản không đặt mật khẩu rồi tải lên")

// check is the whole check of a PDF held in b: the structural checks, then
// the page tree as the signing and verifying reader sees it, then a read
// and validation by the reader that builds meeting packets, so that a file
// that passes can go into a packet.
func check(b []byte, lim Limits) (Info, *Error) {
	if !bytes.Contains(b[:min(len(b), 1024)], []byte("%PDF-")) {
		return Info{}, refuse(CodeNotPDF, "", "Chỉ nhận tệp PDF: nội dung tệp này không phải PDF")
	}
	if err := scan(b, lim); err != nil {
		return Info{}, err
	}
	pages, err := checkPages(b, lim)
	if err == errEncrypted {
		// AES-256 as PDF 2.0 has it (revision 6), which the signing
		// reader cannot decrypt: the page tree is checked in the copy
		// pdfcpu decrypts, if the user password is empty.
		if plain, ok := decrypted(b); ok {
			pages, err = checkPages(plain, lim)
		}
	}
	if err != nil {
		return Info{}, err
	}
	restricted, err := checkPacketReader(b)
	if err != nil {
		return Info{}, err
	}
	return Info{Pages: pages, Restricted: restricted}, nil
}

// checkPages opens b with github.com/digitorus/pdf and walks the whole page
// tree once, refusing cycles and too many pages: the reader's own Page(i)
// walks from the root for each page (quadratic) and loops forever on a
// cycle. Every page up to the root's /Count must be there; the whole
// tree is walked, since pdfcpu walks it too.
func checkPages(b []byte, lim Limits) (pages int, gerr *Error) {
	defer func() {
		// The parser panics on some malformed input.
		if p := recover(); p != nil {
			pages, gerr = 0, broken(fmt.Sprint(p))
		}
	}()
	rd, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		if errors.Is(err, pdf.ErrInvalidPassword) {
			return 0, errEncrypted
		}
		return 0, broken(err.Error())
	}
	pages = rd.NumPage()
	if pages <= 0 {
		return 0, broken("no pages")
	}
	if pages > lim.MaxPages {
		return 0, tooManyPages(int64(pages), lim.MaxPages)
	}
	root := rd.Trailer().Key("Root")
	seen := map[uint32]bool{}
	forms := map[uint32]int{} // form XObjects: 1 being walked, 2 done
	leaves := 0
	// Kids must be indirect references (ISO 32000-1, 7.7.3.2), so any
	// object met twice is a cycle or a page listed twice.
	var walk func(n pdf.Value, depth int) *Error
	walk = func(n pdf.Value, depth int) *Error {
		if depth > lim.MaxDepth {
			return refuse(CodePageTree, "page tree too deep",
				"Cây trang của tệp PDF sâu quá %d mức; tệp hỏng hoặc được tạo để gây quá tải", lim.MaxDepth)
		}
		if id := n.GetPtr().GetID(); id != 0 {
			if seen[id] {
				return refuse(CodePageTree, fmt.Sprintf("the page tree reaches object %d twice", id),
					"Cây trang của tệp PDF có vòng lặp hoặc một trang được liệt kê hai lần; tệp hỏng hoặc được tạo để gây quá tải")
			}
			seen[id] = true
		}
		switch n.Key("Type").Name() {
		case "Page":
			if leaves++; leaves > lim.MaxPages {
				return tooManyPages(int64(leaves), lim.MaxPages)
			}
			if err := checkInherited(n, lim.MaxDepth); err != nil {
				return err
			}
			return checkForms(n.Key("Resources"), forms, 0, lim.MaxDepth)
		case "Pages":
			kids := n.Key("Kids")
			for i := 0; i < kids.Len(); i++ {
				if err := walk(kids.Index(i), depth+1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(root.Key("Pages"), 0); err != nil {
		return 0, err
	}
	if leaves < pages {
		return 0, broken(fmt.Sprintf("page %d is missing", leaves+1))
	}
	return pages, nil
}

// decrypted is b decrypted by pdfcpu with the empty user password, if it
// opens with it.
func decrypted(b []byte) (plain []byte, ok bool) {
	defer func() {
		if recover() != nil {
			plain, ok = nil, false
		}
	}()
	var out bytes.Buffer
	if err := api.Decrypt(bytes.NewReader(b), &out, packetConfiguration()); err != nil {
		return nil, false
	}
	return out.Bytes(), true
}

// packetConfiguration reads as packet.Build does (see packet's
// configuration): relaxed validation, and any encryption refused.
func packetConfiguration() *model.Configuration {
	return &model.Configuration{
		Reader15:        true,
		ValidationMode:  model.ValidationRelaxed,
		Eol:             types.EolLF,
		Cmd:             model.MERGECREATE,
		Unit:            types.POINTS,
		TimestampFormat: "2006-01-02 15:04",
		DateFormat:      "2006-01-02",
		Offline:         true,
		Limits:          model.DefaultResourceLimits(),
	}
}

// checkPacketReader reads and validates b with pdfcpu, as a meeting packet
// is built, and reports whether b is encrypted (with an empty user
// password: it opened).
func checkPacketReader(b []byte) (restricted bool, gerr *Error) {
	defer func() {
		if p := recover(); p != nil {
			gerr = broken(fmt.Sprintf("pdfcpu: %v", p))
		}
	}()
	pc, err := pdfcpu.ReadWithContext(context.Background(), bytes.NewReader(b), packetConfiguration())
	if errors.Is(err, pdfcpu.ErrEncrypted) {
		// Merging refuses any encryption; reading to validate opens a
		// file whose user password is empty.
		conf := packetConfiguration()
		conf.Cmd = model.VALIDATE
		pc, err = pdfcpu.ReadWithContext(context.Background(), bytes.NewReader(b), conf)
	}
	if err != nil {
		if errors.Is(err, pdfcpu.ErrEncrypted) || errors.Is(err, pdfcpu.ErrWrongPassword) {
			return false, errEncrypted
		}
		return false, broken(fmt.Sprintf("pdfcpu: %v", err))
	}
	if err := api.ValidateContext(pc); err != nil {
		return false, broken(fmt.Sprintf("pdfcpu: %v", err))
	}
	if pc.PageCount < 1 {
		return false, broken("pdfcpu: no pages")
	}
	return pc.Encrypt != nil || pc.E != nil, nil
}

// checkInherited refuses a /Parent chain longer than the tree may be deep:
// readers look up inherited attributes (resources, media box) along it,
// and loop forever on a cycle.
func checkInherited(page pdf.Value, maxDepth int) *Error {
	v := page
	for range maxDepth + 1 {
		if v = v.Key("Parent"); v.IsNull() {
			return nil
		}
	}
	return refuse(CodePageTree, "the /Parent chain of a page is a cycle or too long",
		"Cây trang của tệp PDF có vòng lặp (một trang là cha của chính nó); tệp hỏng hoặc được tạo để gây quá tải")
}

// checkForms refuses form XObjects that draw themselves, through their
// resources: a renderer recurses into them without end.
func checkForms(res pdf.Value, forms map[uint32]int, depth, maxDepth int) *Error {
	xo := res.Key("XObject")
	for _, name := range xo.Keys() {
		f := xo.Key(name)
		if f.Key("Subtype").Name() != "Form" {
			continue
		}
		id := f.GetPtr().GetID()
		switch forms[id] {
		case 2:
			continue
		case 1:
			return refuse(CodeResources, fmt.Sprintf("form XObject %d draws itself", id),
				"Tài nguyên của tệp PDF tham chiếu vòng (một hình vẽ tự vẽ lại chính nó); tệp hỏng hoặc được tạo để gây quá tải")
		}
		if depth >= maxDepth || len(forms) > 100_000 {
			return refuse(CodeResources, "form XObjects nested too deep",
				"Tài nguyên của tệp PDF lồng nhau quá sâu; tệp hỏng hoặc được tạo để gây quá tải")
		}
		forms[id] = 1
		if err := checkForms(f.Key("Resources"), forms, depth+1, maxDepth); err != nil {
			return err
		}
		forms[id] = 2
	}
	return nil
}
