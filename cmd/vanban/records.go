package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/hcm-edu/vanban/archivepkg"
	"github.com/hcm-edu/vanban/config"
)

const recordsUsage = `usage:
  vanban records export --file ID --out FILE.zip
  vanban records import --as USERNAME FILE.zip
  vanban records verify [--trust ROOTS.pem] FILE.zip

export writes a file (hồ sơ) as a package: every document's PDF and
attachments, their metadata in XML (Decree 30/2020 Appendix VI Part II), the
XML Schema and a manifest of SHA-256 checksums. import checks the package
whole (checksums, XML, every signature against the configured trust roots)
and creates the file, its documents and the units it names in one
transaction, as the administrator USERNAME. verify checks a package without
a database: with --trust, against those roots; else the system's.`

// recordsCmd exports, imports or verifies a file's package. verify needs
// no configuration; export and import read it like serve.
func recordsCmd(args []string) error {
	if len(args) == 0 {
		return errors.New(strings.TrimSpace(recordsUsage))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fs := flag.NewFlagSet("records "+args[0], flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fileID := fs.Int64("file", 0, "the file to export")
	out := fs.String("out", "", "the package to write")
	as := fs.String("as", "", "the importing administrator")
	trust := fs.String("trust", "", "PEM file of the trusted roots (verify)")
	// flags may come before or after the package
	var files []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			return fmt.Errorf("%v\n%s", err, recordsUsage)
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	switch {
	case args[0] == "export" && *fileID > 0 && *out != "" && len(files) == 0:
		return recordsExport(ctx, *fileID, *out)
	case args[0] == "import" && *as != "" && len(files) == 1:
		return recordsImport(ctx, *as, files[0])
	case args[0] == "verify" && len(files) == 1:
		var roots *x509.CertPool
		if *trust != "" {
			b, err := os.ReadFile(*trust)
			if err != nil {
				return fmt.Errorf("unable to read the trusted roots: %v", err)
			}
			roots = x509.NewCertPool()
			if !roots.AppendCertsFromPEM(b) {
				return fmt.Errorf("no PEM certificate in %s", *trust)
			}
		}
		return recordsVerify(ctx, files[0], roots)
	}
	return errors.New(strings.TrimSpace(recordsUsage))
}

func recordsExport(ctx context.Context, fileID int64, out string) error {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	db, blobs, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	// Written beside the target and renamed: a failed export leaves no
	// half package under the name asked for.
	tmp, err := os.CreateTemp(filepath.Dir(out), ".vanban-export-*")
	if err != nil {
		return fmt.Errorf("unable to create the package: %v", err)
	}
	defer os.Remove(tmp.Name())
	if err := archivepkg.Export(ctx, db, blobs, fileID, tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("unable to write the package: %v", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("unable to write the package: %v", err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("unable to write the package: %v", err)
	}
	res, err := verifyFile(ctx, out, nil, true)
	if err != nil {
		return err
	}
	fmt.Printf("Đã xuất hồ sơ / Exported file %s (%s, %d): %d văn bản / documents, %d mục / entries -> %s\n",
		res.FileCode, res.UnitCode, res.Year, len(res.Documents), res.Entries, out)
	return nil
}

func recordsImport(ctx context.Context, as, name string) error {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	sd, err := signingDeps(cfg, newLogger(cfg))
	if err != nil {
		return err
	}
	db, blobs, err := openAll(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	f, err := os.Open(name)
	if err != nil {
		return fmt.Errorf("unable to open %s: %v", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	res, err := archivepkg.Import(ctx, db, blobs, f, st.Size(), archivepkg.Options{As: as, Roots: sd.Roots})
	if err != nil {
		return err
	}
	printPackage(os.Stdout, res)
	fmt.Printf("Đã nhập hồ sơ / Imported as file %d.\n", res.FileID)
	return nil
}

func recordsVerify(ctx context.Context, name string, roots *x509.CertPool) error {
	res, err := verifyFile(ctx, name, roots, false)
	if err != nil {
		return err
	}
	printPackage(os.Stdout, res)
	fmt.Println("Gói hợp lệ / The package is valid.")
	return nil
}

// verifyFile checks a package; quick skips the signatures' trust (an
// export checked against itself, where the roots are the server's).
func verifyFile(ctx context.Context, name string, roots *x509.CertPool, quick bool) (archivepkg.Result, error) {
	f, err := os.Open(name)
	if err != nil {
		return archivepkg.Result{}, fmt.Errorf("unable to open %s: %v", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return archivepkg.Result{}, err
	}
	if quick {
		return archivepkg.Inspect(ctx, f, st.Size())
	}
	return archivepkg.Verify(ctx, f, st.Size(), archivepkg.Options{Roots: roots})
}

func printPackage(w io.Writer, res archivepkg.Result) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Hồ sơ / File:\t%s — %s\n", res.FileCode, res.Title)
	fmt.Fprintf(tw, "Đơn vị / Unit:\t%s (%s), năm / year %d\n", res.UnitName, res.UnitCode, res.Year)
	fmt.Fprintf(tw, "Trạng thái / State:\t%s\n", res.State)
	fmt.Fprintf(tw, "Mục / Entries:\t%d (%d bytes)\n", res.Entries, res.Bytes)
	fmt.Fprintln(tw, "\nSTT\tSố, ký hiệu / Number\tChữ ký / Signatures\tTrích yếu / Subject")
	for _, d := range res.Documents {
		verdict := "không có / none"
		switch {
		case d.Signatures > 0 && d.Valid:
			verdict = strconv.Itoa(d.Signatures) + ", hợp lệ / valid"
		case d.Signatures > 0:
			verdict = strconv.Itoa(d.Signatures) + ", KHÔNG hợp lệ / INVALID"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", d.DocOrdinal, d.NumberSymbol, verdict, d.Title)
	}
	tw.Flush()
}
