// Command vanban runs the official-document service and its administration
// sub-commands.
package main

import (
	"fmt"
	"os"

	// vanban verify runs without the garbage collector from the start.
	_ "github.com/hcm-edu/vanban/cmd/vanban/internal/oneshot"
	// The hidden sub-command "vanban pdf-worker": pdfguard's init serves
	// it, before anything else runs, when the service starts its workers.
	_ "github.com/hcm-edu/vanban/internal/pdfguard"
)

const usage = `vanban: official documents of the HCMC Department of Education and Training

Usage:
  vanban serve [--migrate]        run the HTTP server
  vanban migrate                  apply pending database migrations
  vanban seed-demo [--schools N]  create the demo organisation and users (idempotent)
  vanban user add|disable|enable|unlock|passwd|list ...   manage accounts
  vanban audit verify             check the audit log's hash chain; names the first broken entry
  vanban holiday list|add|remove  public holidays that deadlines skip
  vanban text reindex [--all|--missing]   queue the text extraction (OCR) of documents without text, or of all
  vanban config                   print the effective configuration, secrets masked
  vanban verify [--json] [--trust ROOTS.pem] FILE   verify a signed PDF (no database needed)
  vanban records export|import|verify ...   a file (hồ sơ) as a package of PDFs, XML metadata and manifest
  vanban check [--online] [--quiet]   every stored object's SHA-256 and every signed version's signatures (after a restore)
  vanban objects export|import DIR    copy the store's objects to or from a folder (scripts/backup.sh, restore.sh)
  vanban help                     this text

Configuration comes from environment variables:
`

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "vanban:", err)
		os.Exit(1)
	}
}
