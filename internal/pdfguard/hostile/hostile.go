// Package hostile makes the hostile-PDF corpus: files built to make a PDF
// reader loop, exhaust memory or crash. Every case must be refused by
// pdfguard with an *Error of the code given, quickly and in bounded memory;
// tests of every endpoint that takes a PDF can feed them in too.
package hostile

import (
	"bytes"
	"compress/zlib"
	"encoding/hex"
	"fmt"
	"strings"
)

// Case is one hostile file.
type Case struct {
	Name string
	Code string // the pdfguard code it must be refused with
	Make func() []byte
}

// Cases returns the corpus. The largest files (100,000 pages, the flate
// bombs) are a few MiB; Make builds each on demand.
func Cases() []Case {
	return []Case{
		{"self-kid-page-tree", "page_tree", func() []byte {
			// The 610-byte file: the page tree's root lists itself.
			return build([]string{
				"<< /Type /Catalog /Pages 3 0 R >>",
				"<< /Type /Page /Parent 3 0 R /MediaBox [0 0 595 842] >>",
				"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
			}, "")
		}},
		{"page-tree-cycle", "page_tree", func() []byte {
			return build([]string{
				"<< /Type /Catalog /Pages 2 0 R >>",
				"<< /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 >>",
				"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
				"<< /Type /Pages /Parent 2 0 R /Kids [5 0 R] /Count 1 >>",
				"<< /Type /Pages /Parent 4 0 R /Kids [2 0 R] /Count 1 >>",
			}, "")
		}},
		{"page-shared-twice", "page_tree", func() []byte {
			return build([]string{
				"<< /Type /Catalog /Pages 2 0 R >>",
				"<< /Type /Pages /Kids [3 0 R 3 0 R] /Count 2 >>",
				"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
			}, "")
		}},
		{"page-is-its-own-parent", "page_tree", func() []byte {
			return build([]string{
				"<< /Type /Catalog /Pages 2 0 R >>",
				"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
				"<< /Type /Page /Parent 3 0 R >>",
			}, "")
		}},
		{"pages-100k", "too_many_pages", func() []byte { return manyPages(100_000, 100_000) }},
		{"pages-100k-count-1", "too_many_pages", func() []byte { return manyPages(100_000, 1) }},
		{"objects-1m-xref-table", "too_many_objects", func() []byte {
			return withXRef(basic(""), "0 1000000\n0000000000 65535 f \n", "/Size 1000000")
		}},
		{"objects-1m-trailer-size", "too_many_objects", func() []byte {
			return build(basicObjects(""), "/Size 1000000")
		}},
		{"objects-1m-xref-stream", "too_many_objects", func() []byte {
			return xrefStream("/Size 1000000 /W [1 4 2] /Index [0 1000000]", nil)
		}},
		{"deep-arrays", "too_deep", func() []byte {
			n := 200_000 // 400 KB, as the file that took 24 s and 1.6 GB to sign
			return build(basicObjects("/Extra 5 0 R", strings.Repeat("[", n)+strings.Repeat("]", n)), "")
		}},
		{"deep-arrays-unclosed", "too_deep", func() []byte {
			return build(basicObjects("/Extra 5 0 R", strings.Repeat("[", 400_000)), "")
		}},
		{"deep-dictionaries", "too_deep", func() []byte {
			n := 50_000
			return build(basicObjects("/Extra 5 0 R", strings.Repeat("<< /A ", n)+"1"+strings.Repeat(" >>", n)), "")
		}},
		{"huge-length", "bad_stream", func() []byte {
			return build(basicObjects("", "<< /Length 999999999999 >>\nstream\nq Q\nendstream"), "")
		}},
		{"huge-length-indirect", "bad_stream", func() []byte {
			return build(basicObjects("", "<< /Length 6 0 R >>\nstream\nq Q\nendstream", "999999999999"), "")
		}},
		{"negative-length", "bad_stream", func() []byte {
			return build(basicObjects("", "<< /Length -20 >>\nstream\nq Q\nendstream"), "")
		}},
		{"flate-bomb-1gib", "decompression_bomb", func() []byte {
			return build(basicObjects("", stream("/Filter /FlateDecode", zeros(1<<10))), "")
		}},
		{"flate-bomb-double-4gib", "decompression_bomb", func() []byte {
			return build(basicObjects("", stream("/Filter [/FlateDecode /FlateDecode]", deflate(zeros(4<<10)))), "")
		}},
		{"flate-bomb-hex-wrapped", "decompression_bomb", func() []byte {
			return build(basicObjects("", stream("/Filter [/ASCIIHexDecode /FlateDecode]", []byte(hex.EncodeToString(zeros(64))+">"))), "")
		}},
		{"flate-bomb-font", "decompression_bomb", func() []byte {
			font := "<< /Type /Font /Subtype /TrueType /BaseFont /X /FirstChar 32 /LastChar 32 /Widths [500] /FontDescriptor 6 0 R >>"
			desc := "<< /Type /FontDescriptor /FontName /X /Flags 32 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 /FontFile2 7 0 R >>"
			return build(basicObjects("/Resources << /Font << /F1 5 0 R >> >>", font, desc, stream("/Filter /FlateDecode /Length1 1000", zeros(1<<9))), "")
		}},
		{"object-stream-bomb", "decompression_bomb", func() []byte {
			return build(basicObjects("", stream("/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", zeros(1<<8))), "")
		}},
		{"object-stream-1m-objects", "too_many_objects", func() []byte {
			return build(basicObjects("", stream("/Type /ObjStm /N 1000000 /First 8 /Filter /FlateDecode", deflate([]byte("6 0 7 2 1 2")))), "")
		}},
		{"object-stream-deep", "too_deep", func() []byte {
			body := "6 0 " + strings.Repeat("[", 100_000)
			return build(basicObjects("", stream("/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode", deflate([]byte(body)))), "")
		}},
		{"object-streams-extend-cycle", "bad_stream", func() []byte {
			return build(basicObjects("",
				stream("/Type /ObjStm /N 1 /First 4 /Extends 6 0 R /Filter /FlateDecode", deflate([]byte("7 0 1"))),
				stream("/Type /ObjStm /N 1 /First 4 /Extends 5 0 R /Filter /FlateDecode", deflate([]byte("8 0 2")))), "")
		}},
		{"recursive-resources", "resource_cycle", func() []byte {
			// A form that draws itself, through resources that hold themselves.
			return build([]string{
				"<< /Type /Catalog /Pages 2 0 R >>",
				"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
				"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources 4 0 R /Contents 6 0 R >>",
				"<< /XObject << /X 5 0 R >> /Parent 4 0 R >>",
				"<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources 4 0 R /Length 5 >>\nstream\n/X Do\nendstream",
				"<< /Length 5 >>\nstream\n/X Do\nendstream",
			}, "")
		}},
		{"xref-stream-wide-fields", "bad_xref", func() []byte {
			return xrefStream("/Size 8 /W [1 200 200]", nil)
		}},
		{"xref-stream-huge-columns", "bad_stream", func() []byte {
			return xrefStream("/Size 8 /W [1 4 2] /DecodeParms << /Predictor 12 /Columns 2000000000 >>", nil)
		}},
		{"xref-stream-prev-outside", "bad_xref", func() []byte {
			return xrefStream("/Size 8 /W [1 4 2] /Prev 99999999999", nil)
		}},
		{"xref-stream-index-overflow", "too_many_objects", func() []byte {
			return xrefStream("/Size 8 /W [1 4 2] /Index [0 8 2147483647 2147483647]", nil)
		}},
		{"font-absurd-char-range", "bad_font", func() []byte {
			font := "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /FirstChar 0 /LastChar 2000000000 /Widths [500] >>"
			return build(basicObjects("/Resources << /Font << /F1 5 0 R >> >>", font), "")
		}},
		{"font-absurd-program-length", "bad_font", func() []byte {
			font := "<< /Type /Font /Subtype /TrueType /BaseFont /X /FirstChar 32 /LastChar 32 /Widths [500] /FontDescriptor 6 0 R >>"
			desc := "<< /Type /FontDescriptor /FontName /X /Flags 32 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 /FontFile2 7 0 R >>"
			return build(basicObjects("/Resources << /Font << /F1 5 0 R >> >>", font, desc, "<< /Length 4 /Length1 99999999999 >>\nstream\n\x00\x01\x00\x00\nendstream"), "")
		}},
		{"image-absurd-size", "image_too_large", func() []byte {
			img := "<< /Type /XObject /Subtype /Image /Width 1000000 /Height 1000000 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length 3 >>\nstream\nabc\nendstream"
			return build(basicObjects("/Resources << /XObject << /Im 5 0 R >> >>", img), "")
		}},
		{"image-absurd-side", "image_too_large", func() []byte {
			img := "<< /Type /XObject /Subtype /Image /Width 1 /Height 2000000000 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 3 >>\nstream\nabc\nendstream"
			return build(basicObjects("/Resources << /XObject << /Im 5 0 R >> >>", img), "")
		}},
	}
}

// basic is a valid one-page PDF whose page dictionary has extra entries.
func basic(pageExtra string) []byte { return build(basicObjects(pageExtra), "") }

// basicObjects are the objects of a one-page PDF (1 to 4) and then more
// objects, numbered from 5.
func basicObjects(pageExtra string, more ...string) []string {
	return append([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R " + pageExtra + " >>",
		"<< /Length 8 >>\nstream\nBT ET\nq Q\nendstream",
	}, more...)
}

// build writes objects 1.. with a cross-reference table and a trailer
// whose entries are /Size and /Root 1 0 R unless trailer says otherwise.
func build(objs []string, trailer string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	if !strings.Contains(trailer, "/Size") {
		trailer += fmt.Sprintf(" /Size %d", len(objs)+1)
	}
	fmt.Fprintf(&b, "trailer\n<< /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n", trailer, xref)
	return b.Bytes()
}

// withXRef appends an incremental update that is only a cross-reference
// table and a trailer.
func withXRef(base []byte, table, trailer string) []byte {
	var b bytes.Buffer
	b.Write(base)
	at := b.Len()
	fmt.Fprintf(&b, "xref\n%strailer\n<< /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n", table, trailer, at)
	return b.Bytes()
}

// xrefStream is a one-page PDF whose cross-reference is a stream with the
// given entries (its data: data, or none).
func xrefStream(dict string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	for i, o := range basicObjects("") {
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	at := b.Len()
	fmt.Fprintf(&b, "7 0 obj\n<< /Type /XRef /Root 1 0 R %s /Length %d >>\nstream\n", dict, len(data))
	b.Write(data)
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", at)
	return b.Bytes()
}

func stream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

// manyPages has n pages under one node that claims count.
func manyPages(n, count int) []byte {
	objs := make([]string, 0, n+2)
	objs = append(objs, "<< /Type /Catalog /Pages 2 0 R >>")
	var kids strings.Builder
	for i := range n {
		fmt.Fprintf(&kids, "%d 0 R ", i+3)
	}
	objs = append(objs, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids.String(), count))
	for range n {
		objs = append(objs, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>")
	}
	return build(objs, "")
}

// zeros is zlib data that inflates to mib MiB of zeros, made without
// compressing them: after the first MiB, every flushed MiB of zeros
// compresses to the same bytes, repeated.
func zeros(mib int) []byte {
	var b bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	chunk := make([]byte, 1<<20)
	zw.Write(chunk)
	zw.Flush()
	first := b.Len()
	zw.Write(chunk)
	zw.Flush()
	repeat := bytes.Clone(b.Bytes()[first:])
	out := bytes.Clone(b.Bytes())
	for range mib - 2 {
		out = append(out, repeat...)
	}
	return append(out, 0x03, 0x00) // a final empty block; the checksum is never reached
}

func deflate(p []byte) []byte {
	var b bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	zw.Write(p)
	zw.Close()
	return b.Bytes()
}
