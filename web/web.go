// Package web holds the server-rendered pages and static assets, embedded
// in the binary.
package web

import (
	"embed"
	"io/fs"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// Templates returns the page templates: layout.html and one file per page.
func Templates() fs.FS { return templates }

// Static returns the static assets (CSS), served under /static/.
func Static() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	return sub
}
