package doctemplate

import (
	"archive/zip"
	"bytes"
	"embed"
	"encoding/xml"
	"fmt"
	"strings"
	"text/template"
	"time"
)

// stamp is every part's time in the archive: the same form gives the same
// bytes.
var stamp = time.Date(2020, 3, 5, 0, 0, 0, 0, time.UTC)

//go:embed templates/*.xml templates/*.rels
var parts embed.FS

// x escapes s as XML character data or an attribute value; characters
// XML 1.0 does not allow become U+FFFD.
func x(s string) (string, error) {
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		return "", err
	}
	return b.String(), nil
}

var (
	documentXML = template.Must(template.New("document.xml").Funcs(template.FuncMap{"x": x}).ParseFS(parts, "templates/document.xml"))
	coreXML     = template.Must(template.New("core.xml").Funcs(template.FuncMap{"x": x}).ParseFS(parts, "templates/core.xml"))
)

// files are the package's parts: the name in the archive and the
// template's file. Content types first, as Word and the validators expect.
var files = []struct{ name, from string }{
	{"[Content_Types].xml", "content_types.xml"},
	{"_rels/.rels", "rels.xml"},
	{"docProps/app.xml", "app.xml"},
	{"docProps/core.xml", ""},
	{"word/document.xml", ""},
	{"word/_rels/document.xml.rels", "document.xml.rels"},
	{"word/styles.xml", "styles.xml"},
	{"word/settings.xml", "settings.xml"},
	{"word/fontTable.xml", "fontTable.xml"},
	{"word/header1.xml", "header1.xml"},
	{"word/header2.xml", "header2.xml"},
}

// write packs d as a .docx (OPC zip).
func write(d document, title, subject string) ([]byte, error) {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := z.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: stamp})
		if err != nil {
			return nil, fmt.Errorf("doctemplate: unable to write %s: %v", f.name, err)
		}
		switch f.name {
		case "word/document.xml":
			err = documentXML.Execute(w, d)
		case "docProps/core.xml":
			err = coreXML.Execute(w, map[string]string{"Title": title, "Subject": subject, "Creator": "vanban"})
		default:
			var b []byte
			if b, err = parts.ReadFile("templates/" + f.from); err == nil {
				_, err = w.Write(b)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("doctemplate: unable to write %s: %v", f.name, err)
		}
	}
	if err := z.Close(); err != nil {
		return nil, fmt.Errorf("doctemplate: unable to write the archive: %v", err)
	}
	return buf.Bytes(), nil
}
