//go:build ignore

// Gen writes the hostile-PDF corpus to a folder, one file per case, for
// trying it by hand against a running service or another reader. The
// tests build the same files themselves (some are megabytes, too big to
// commit).
//
//	go run ./internal/pdfguard/testdata/gen.go -o /tmp/hostile
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/hcm-edu/vanban/internal/pdfguard/hostile"
)

func main() {
	out := flag.String("o", "hostile", "folder to write the corpus to")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	for _, c := range hostile.Cases() {
		b := c.Make()
		p := filepath.Join(*out, c.Name+".pdf")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%-32s %10d bytes  refused as %s\n", c.Name+".pdf", len(b), c.Code)
	}
}
